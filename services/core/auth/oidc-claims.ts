/**
 * Maps a verified JWT claims set to a principal (reference §6.2): principal id and tenant from string claims,
 * roles from a string or string-array claim, ABAC attributes from the configured claims, kind from a boolean
 * claim. Pure: the token has already been verified.
 */
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { JWTPayload } from "jose";
import { errors } from "#core/errors/pecr-error.js";
import { type Principal, PrincipalKind } from "#gen/pecr/v1/policy_pb.js";
import type { OidcAuthConfig } from "./auth-config.js";
import { createPrincipal } from "./principal.js";

/** The config fields the claim mapping uses. */
export type ClaimMappingConfig = Pick<
  OidcAuthConfig,
  "principalIdClaim" | "tenant" | "rolesClaim" | "abacClaims" | "humanClaim"
>;

/** Builds the principal from verified claims; throws ERR_AUTH_INVALID when a required claim is unusable. */
export function principalFromClaims(claims: JWTPayload, config: ClaimMappingConfig): Principal {
  const principalId = requiredStringClaim(claims, config.principalIdClaim);
  const tenantId =
    config.tenant.kind === "static" ? config.tenant.tenantId : requiredStringClaim(claims, config.tenant.claim);
  const roles = config.rolesClaim === undefined ? [] : rolesFromClaim(claims, config.rolesClaim);
  const attributes: Record<string, Value> = {};
  for (const claim of config.abacClaims) {
    const value = claims[claim];
    // Claims come from JSON.parse, so every present value is a JSON value.
    if (value !== undefined) attributes[claim] = fromJson(ValueSchema, value as JsonValue);
  }
  const human = config.humanClaim !== undefined && claims[config.humanClaim] === true;
  return createPrincipal({
    principalId,
    tenantId,
    roles,
    attributes,
    kind: human ? PrincipalKind.HUMAN : PrincipalKind.AGENT,
  });
}

function requiredStringClaim(claims: JWTPayload, name: string): string {
  const value = claims[name];
  const trimmed = typeof value === "string" ? value.trim() : "";
  if (trimmed === "") throw errors.authInvalid(`required claim \`${name}\` is missing or not a string`);
  return trimmed;
}

function rolesFromClaim(claims: JWTPayload, name: string): string[] {
  const value = claims[name];
  if (value === undefined) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((role) => typeof role === "string")) return value;
  throw errors.authInvalid(`claim \`${name}\` must be a string or an array of strings`);
}
