/**
 * providers.aws.sign_req: AWS Signature Version 4 for an HTTP request object (as http.send takes it),
 * returning the request with `Authorization`, `x-amz-date`, `x-amz-content-sha256` (and the session token)
 * headers added.
 */
import { createHash, createHmac } from "node:crypto";
import { BuiltinError } from "../errors.js";
import { isInteger, RObject, toBigInt, type Value } from "../value.js";
import { obj } from "./args.js";
import { queryEscape } from "./encoding.js";
import { goJson } from "./json.js";
import { def, type BuiltinDef } from "./types.js";

const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();

function typeError(message: string): BuiltinError {
  return new BuiltinError(message, "type");
}

function requireStrings(o: RObject, keys: readonly string[], pos: number, what: string): Record<string, string> {
  const missing = keys.filter((k) => !o.has(k));
  const list = (ks: readonly string[]): string => `{${ks.map((k) => JSON.stringify(k)).join(", ")}}`;
  if (missing.length > 0) throw typeError(`operand ${pos} missing required ${what} parameters(s): ${list(missing)}`);
  const invalid = keys.filter((k) => typeof o.get(k) !== "string");
  if (invalid.length > 0) throw typeError(`operand ${pos} invalid values for required ${what} parameters(s): ${list(invalid)}`);
  return Object.fromEntries(keys.map((k) => [k, o.get(k) as string]));
}

/** The path of a URL as written (between the authority and the query or fragment). */
function rawPathOf(url: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(url);
  return m?.[1] ?? "";
}

function canonicalQuery(search: URLSearchParams): string {
  const pairs = [...search.entries()].map(([k, v]) => [queryEscape(k).replace(/\+/g, "%20"), queryEscape(v).replace(/\+/g, "%20")]);
  pairs.sort((a, b) => (a[0] === b[0] ? ((a[1] as string) < (b[1] as string) ? -1 : 1) : (a[0] as string) < (b[0] as string) ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function signRequest(args: Value[]): Value {
  const req = obj(args, 1);
  const config = obj(args, 2);
  const { method = "", url = "" } = requireStrings(req, ["method", "url"], 1, "request");
  const creds = requireStrings(config, ["aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"], 2, "AWS config");
  const token = config.get("aws_session_token");
  const disable = config.get("disable_payload_signing");
  if (disable !== undefined && typeof disable !== "boolean") {
    throw typeError("operand 2 invalid value for 'disable_payload_signing' in AWS config");
  }
  const t = args[2] as Value;
  if ((typeof t !== "number" && typeof t !== "bigint") || !isInteger(t) || (toBigInt(t) as bigint) < 0n) {
    throw typeError("operand 3 could not convert time_ns value into a unix timestamp");
  }
  const date = new Date(Number((toBigInt(t) as bigint) / 1_000_000n));
  const amzDate = date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const dateStamp = amzDate.slice(0, 8);

  let payload = "";
  const raw = req.get("raw_body");
  const body = req.get("body");
  if (typeof raw === "string") payload = raw;
  else if (body !== undefined) payload = goJson(body, "", "", "");
  const contentHash = disable === true ? "UNSIGNED-PAYLOAD" : sha256(payload);

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BuiltinError(`invalid url ${JSON.stringify(url)}`);
  }
  const headers = new Map<string, string>();
  const given = req.get("headers");
  if (given instanceof RObject) {
    for (const [k, v] of given.entries()) if (typeof k === "string") headers.set(k, typeof v === "string" ? v : goJson(v, "", "", ""));
  }
  headers.set("host", parsed.host);
  // A content hash the caller already set is what gets signed (the returned request carries the computed
  // one), as OPA's signer does.
  if (!headers.has("x-amz-content-sha256")) headers.set("x-amz-content-sha256", contentHash);
  headers.set("x-amz-date", amzDate);
  if (typeof token === "string") headers.set("x-amz-security-token", token);

  const canonical = [...headers.entries()]
    .map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, " ")] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const signedHeaders = canonical.map(([k]) => k).join(";");
  const canonicalRequest = [
    // The method and the escaped path go in as the request has them (an absent path stays empty), as OPA's
    // signer does.
    method,
    rawPathOf(url),
    canonicalQuery(parsed.searchParams),
    canonical.map(([k, v]) => `${k}:${v}\n`).join(""),
    signedHeaders,
    contentHash,
  ].join("\n");
  const scope = `${dateStamp}/${creds["aws_region"]}/${creds["aws_service"]}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  let key = hmac(`AWS4${creds["aws_secret_access_key"]}`, dateStamp);
  key = hmac(key, creds["aws_region"] as string);
  key = hmac(key, creds["aws_service"] as string);
  key = hmac(key, "aws4_request");
  const signature = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");

  const outHeaders = given instanceof RObject ? RObject.from(given.entries()) : new RObject();
  outHeaders.set("host", parsed.host);
  outHeaders.set("x-amz-content-sha256", contentHash);
  outHeaders.set("x-amz-date", amzDate);
  if (typeof token === "string") outHeaders.set("x-amz-security-token", token);
  outHeaders.set(
    "Authorization",
    `AWS4-HMAC-SHA256 Credential=${creds["aws_access_key"]}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`,
  );
  return RObject.from(req.entries()).set("headers", outHeaders);
}

/** AWS signing builtin. */
export const awsBuiltins: BuiltinDef[] = [def("providers.aws.sign_req", 3, signRequest)];
