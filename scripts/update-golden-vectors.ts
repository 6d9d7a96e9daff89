/**
 * Recomputes the outputs (canonical_hex, hash) of every golden vector from its JSON input and rewrites
 * services/core/canonical/testdata/golden-vectors.json. Run it only for a deliberate change (a new vector, or an
 * intended encoding change), then review the diff: changed outputs of existing vectors mean changed hashes.
 */
import { writeFileSync } from "node:fs";
import { createContractRegistry } from "#core/canonical/contract-registry.js";
import { computeVector, GOLDEN_VECTORS_PATH, loadGoldenVectors } from "#core/canonical/golden-vectors.js";

const registry = createContractRegistry();
const vectors = loadGoldenVectors().map((vector) => ({
  name: vector.name,
  type: vector.type,
  json: vector.json,
  ...computeVector(registry, vector.type, vector.json),
}));
writeFileSync(GOLDEN_VECTORS_PATH, `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`${vectors.length} golden vectors written`);
