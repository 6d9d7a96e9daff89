/**
 * The hash identities of PECR (proto/pecr/v1/identity.proto): which fields go into which hash, and the
 * normalisation applied first. Every function here is pure: no clock, no randomness, no I/O.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type Budget, BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { type ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import type { DiffParams, EvidenceUnit, RedactionDirective, SpanOrRowSpec, TransformStep } from "#gen/pecr/v1/evidence_pb.js";
import {
  ClaimIdentitySchema,
  ContentIdentitySchema,
  EvidenceUnitIdentitySchema,
  FieldListIdentitySchema,
  FilterSpecIdentitySchema,
  PolicySnapshotIdentitySchema,
  PrincipalAttributesIdentitySchema,
  SessionTokenIdentitySchema,
  SourceVersionIdentitySchema,
  TransformIdentitySchema,
  VersionMetadataIdentitySchema,
} from "#gen/pecr/v1/identity_pb.js";
import { type OperatorParams, OperatorParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import type { Value } from "@bufbuild/protobuf/wkt";
import { canonicalBytes } from "./canonical-encoding.js";
import { canonicalClaimText, canonicalText, normaliseNameList, sortedUnique } from "./canonical-text.js";
import { hashMessage } from "./domain-hash.js";

/** Evidence content: text (hashed after canonicalisation) or a JSON object. */
export type EvidenceContent = { case: "text"; value: string } | { case: "json"; value: JsonObject };

/** `content_hash`: hash of `ContentIdentity` over the canonical content. */
export function contentHash(content: EvidenceContent): string {
  const canonical: EvidenceContent =
    content.case === "text" ? { case: "text", value: canonicalText(content.value) } : content;
  return hashMessage(ContentIdentitySchema, create(ContentIdentitySchema, { content: canonical }));
}

/** The fields of an evidence unit that its id covers. */
export interface EvidenceIdentityFields {
  /** Source system. */
  readonly sourceSystem: string;
  /** Object id. */
  readonly objectId: string;
  /** Version id. */
  readonly versionId: string;
  /** Span or row spec. */
  readonly spanOrRowSpec?: SpanOrRowSpec | undefined;
  /** Content hash (after redaction). */
  readonly contentHash: string;
  /** The session's as_of time. */
  readonly asOfTime?: Timestamp | undefined;
  /** The session's policy snapshot hash. */
  readonly policySnapshotHash: string;
  /** Transform steps, in order. */
  readonly transformChain: readonly TransformStep[];
}

/** `evidence_unit_id`: hash of `EvidenceUnitIdentity`. */
export function evidenceUnitId(unit: EvidenceIdentityFields | EvidenceUnit): string {
  return hashMessage(
    EvidenceUnitIdentitySchema,
    create(EvidenceUnitIdentitySchema, {
      sourceSystem: unit.sourceSystem,
      objectId: unit.objectId,
      versionId: unit.versionId,
      spanOrRowSpec: unit.spanOrRowSpec,
      contentHash: unit.contentHash,
      asOfTime: unit.asOfTime,
      policySnapshotHash: unit.policySnapshotHash,
      transformChain: [...unit.transformChain],
    }),
  );
}

/** The fields of a policy snapshot that its hash covers. */
export interface PolicySnapshotIdentityFields {
  /** Principal id. */
  readonly principalId: string;
  /** Tenant id. */
  readonly tenantId: string;
  /** Roles, in any order (sorted and de-duplicated here). */
  readonly principalRoles: readonly string[];
  /** Hash of the principal's attributes. */
  readonly principalAttrsHash: string;
  /** Policy bundle hash. */
  readonly policyBundleHash: string;
  /** The as_of time. */
  readonly asOfTime?: Timestamp | undefined;
}

/** `policy_snapshot_hash`: hash of `PolicySnapshotIdentity` (roles sorted; `evaluated_at` excluded). */
export function policySnapshotHash(snapshot: PolicySnapshotIdentityFields): string {
  return hashMessage(
    PolicySnapshotIdentitySchema,
    create(PolicySnapshotIdentitySchema, {
      principalId: snapshot.principalId,
      tenantId: snapshot.tenantId,
      principalRoles: sortedUnique(snapshot.principalRoles),
      principalAttrsHash: snapshot.principalAttrsHash,
      policyBundleHash: snapshot.policyBundleHash,
      asOfTime: snapshot.asOfTime,
    }),
  );
}

/** `principal_attrs_hash`: hash of `PrincipalAttributesIdentity` (the empty map in local mode). */
export function principalAttrsHash(attributes: { readonly [claim: string]: Value }): string {
  return hashMessage(
    PrincipalAttributesIdentitySchema,
    create(PrincipalAttributesIdentitySchema, { attributes: { ...attributes } }),
  );
}

/** `claim_id`: hash of `ClaimIdentity` (text trimmed and NFC; evidence ids sorted and de-duplicated). */
export function claimId(claimText: string, status: ClaimStatus, evidenceUnitIds: Iterable<string>): string {
  return hashMessage(
    ClaimIdentitySchema,
    create(ClaimIdentitySchema, {
      claimText: canonicalClaimText(claimText),
      status,
      evidenceUnitIds: sortedUnique(evidenceUnitIds),
    }),
  );
}

/** Parameters of a transform step. */
export type TransformParams = { case: "redaction"; value: RedactionDirective } | { case: "diff"; value: DiffParams };

/** `transform_hash`: hash of `TransformIdentity` over the step's type and parameters. */
export function transformHash(transformType: string, params: TransformParams): string {
  return hashMessage(TransformIdentitySchema, create(TransformIdentitySchema, { transformType, params }));
}

/** A source object's `version_id`: the content address of its exact bytes. */
export function sourceVersionId(content: Uint8Array): string {
  return hashMessage(SourceVersionIdentitySchema, create(SourceVersionIdentitySchema, { content }));
}

/** The bytes a safe-view row snapshot is stored and versioned as: canonical `ContentIdentity` of the row. */
export function rowSnapshotBytes(row: JsonObject): Uint8Array {
  return canonicalBytes(ContentIdentitySchema, create(ContentIdentitySchema, { content: { case: "json", value: row } }));
}

/** A listed version's `metadata_hash`. */
export function versionMetadataHash(
  objectId: string,
  versionId: string,
  byteLength: bigint,
  firstObservedAt: Timestamp | undefined,
): string {
  return hashMessage(
    VersionMetadataIdentitySchema,
    create(VersionMetadataIdentitySchema, { objectId, versionId, byteLength, firstObservedAt }),
  );
}

/** A safe-view filter's fingerprint (the hash of the empty filter when there is none). */
export function filterFingerprint(filterSpec: { readonly [field: string]: string }): string {
  return hashMessage(FilterSpecIdentitySchema, create(FilterSpecIdentitySchema, { filterSpec: { ...filterSpec } }));
}

/** `fields_hash`: requested fields trimmed, de-duplicated and sorted. */
export function fieldsHash(fields: Iterable<string>): string {
  return hashMessage(FieldListIdentitySchema, create(FieldListIdentitySchema, { fields: normaliseNameList(fields) }));
}

/** `params_hash` of an operator call, with the canonical size of its parameters (`params_bytes`). */
export function operatorParamsDigest(params: OperatorParams): { hash: string; bytes: number } {
  const bytes = canonicalBytes(OperatorParamsSchema, params);
  return { hash: hashMessage(OperatorParamsSchema, params), bytes: bytes.length };
}

/** `budget_hash`. */
export function budgetHash(budget: Budget): string {
  return hashMessage(BudgetSchema, budget);
}

/** The stored hash of a session capability token. */
export function sessionTokenHash(token: string): string {
  return hashMessage(SessionTokenIdentitySchema, create(SessionTokenIdentitySchema, { token }));
}
