/**
 * Builds `pecr.v1.Principal` messages with their invariants: roles sorted and de-duplicated, and
 * `principal_attrs_hash` computed from the attributes, so no caller can get either wrong.
 */
import { create } from "@bufbuild/protobuf";
import type { Value } from "@bufbuild/protobuf/wkt";
import { normaliseNameList } from "#core/canonical/canonical-text.js";
import { principalAttrsHash } from "#core/canonical/identities.js";
import { type Principal, type PrincipalKind, PrincipalSchema } from "#gen/pecr/v1/policy_pb.js";

/** What an authenticator knows about a caller. */
export interface PrincipalInit {
  /** Stable caller id. */
  readonly principalId: string;
  /** Tenant. */
  readonly tenantId: string;
  /** Roles in any order; trimmed, blanks dropped, sorted and de-duplicated here. */
  readonly roles: Iterable<string>;
  /** ABAC attributes by claim name. */
  readonly attributes: { readonly [claim: string]: Value };
  /** Human or agent. */
  readonly kind: PrincipalKind;
}

/** Creates a principal, normalising roles and hashing the attributes. */
export function createPrincipal(init: PrincipalInit): Principal {
  const attributes = { ...init.attributes };
  return create(PrincipalSchema, {
    principalId: init.principalId,
    tenantId: init.tenantId,
    roles: normaliseNameList(init.roles),
    attributes,
    principalAttrsHash: principalAttrsHash(attributes),
    kind: init.kind,
  });
}
