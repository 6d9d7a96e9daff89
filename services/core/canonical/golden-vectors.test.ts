import test from "ava";
import { createContractRegistry } from "./contract-registry.js";
import { computeVector, loadGoldenVectors } from "./golden-vectors.js";

const registry = createContractRegistry();
const vectors = loadGoldenVectors();

test("the committed golden vectors cover every identity message and the ledger records", (t) => {
  const types = new Set(vectors.map((vector) => vector.type));
  for (const type of [
    "pecr.v1.ContentIdentity",
    "pecr.v1.EvidenceUnitIdentity",
    "pecr.v1.PolicySnapshotIdentity",
    "pecr.v1.PrincipalAttributesIdentity",
    "pecr.v1.ClaimIdentity",
    "pecr.v1.TransformIdentity",
    "pecr.v1.SourceVersionIdentity",
    "pecr.v1.VersionMetadataIdentity",
    "pecr.v1.FilterSpecIdentity",
    "pecr.v1.FieldListIdentity",
    "pecr.v1.SessionTokenIdentity",
    "pecr.v1.PolicyBundleIdentity",
    "pecr.v1.OperatorParams",
    "pecr.v1.Budget",
    "pecr.v1.LedgerEvent",
    "pecr.v1.LedgerCheckpoint",
  ]) {
    t.true(types.has(type), `no golden vector for ${type}`);
  }
});

for (const vector of vectors) {
  test(`golden vector "${vector.name}" encodes to its committed bytes and hash`, (t) => {
    t.deepEqual(computeVector(registry, vector.type, vector.json), {
      canonical_hex: vector.canonical_hex,
      hash: vector.hash,
    });
  });
}
