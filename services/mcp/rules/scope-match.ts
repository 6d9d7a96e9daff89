/**
 * Resource names and prefix matching for scope (mcp-001) and consent (mcp-006). Object ids are matched only
 * when they are clean relative paths, so `public/../restricted/x` can never pass as inside `fs:public/`.
 */
import type { Resource } from "./enforcement-types.js";

const UNCLEAN_SEGMENT = /^(?:|\.|\.\.)$/;

/** The resource of a corpus document; undefined when `objectId` is not a clean relative path. */
export function documentResource(objectId: string): Resource | undefined {
  if (objectId.startsWith("/") || objectId.includes("\\") || objectId.includes("\u0000")) return undefined;
  if (objectId.split("/").some((segment) => UNCLEAN_SEGMENT.test(segment))) return undefined;
  return `fs:${objectId}`;
}

/** The resource of a safe view; undefined for an empty or odd view id. */
export function viewResource(viewId: string): Resource | undefined {
  return /^[A-Za-z0-9_]+$/.test(viewId) ? `view:${viewId}` : undefined;
}

/** The resource of an evidence unit's object (what an answer cites). */
export function evidenceResource(sourceSystem: string, objectId: string): Resource | undefined {
  if (sourceSystem === "fs_corpus") return documentResource(objectId);
  if (sourceSystem === "pg_safeview") return viewResource(objectId.split(":")[0] ?? "");
  return undefined;
}

/** Whether `resource` starts with one of `prefixes`. */
export function insideAny(resource: Resource, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => resource.startsWith(prefix));
}

/** mcp-006 for one resource: consented, consented only with a human's approval, or not consented. */
export function consentFor(resource: Resource, consent: { readonly allowed: readonly string[]; readonly approval: readonly string[] }): "allowed" | "approval" | "denied" {
  if (insideAny(resource, consent.approval)) return "approval";
  return insideAny(resource, consent.allowed) ? "allowed" : "denied";
}
