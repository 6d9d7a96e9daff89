/**
 * Authenticates every non-public RPC through a pluggable function and puts the principal into `kPrincipal`.
 * The function throws a PecrError (ERR_AUTH_REQUIRED, ERR_AUTH_INVALID, ...) to refuse; error mapping, which
 * runs outside this interceptor, turns it into Unauthenticated with its ErrorDetail.
 */
import type { ContextValues, Interceptor } from "@connectrpc/connect";
import { errors } from "#core/errors/pecr-error.js";
import type { Principal } from "#gen/pecr/v1/policy_pb.js";
import { kLogger, kPrincipal } from "./context-values.js";

/** What an authenticator sees of a request. */
export interface AuthenticationRequest {
  /** Request headers (credentials live here). */
  readonly header: Headers;
  /** Fully qualified service name, e.g. `pecr.gateway.v1.GatewayService`; empty for plain HTTP routes. */
  readonly service: string;
  /** Method name, e.g. `CreateSession`; empty for plain HTTP routes. */
  readonly method: string;
  /** Request path: `/service/Method` for RPCs, e.g. `/metrics` for plain HTTP routes. */
  readonly procedure: string;
}

/** Resolves the caller of a request or throws a PecrError. */
export type Authenticate = (request: AuthenticationRequest) => Promise<Principal>;

/** Options of `createAuthenticationInterceptor`. */
export interface AuthenticationOptions {
  /** The authenticator. */
  readonly authenticate: Authenticate;
  /**
   * RPCs that need no credentials: a service name (`grpc.health.v1.Health`, every method) or a procedure path
   * (`/pecr.gateway.v1.GatewayService/VerifyLedger`).
   */
  readonly publicProcedures?: readonly string[];
}

/** Whether `service`/`method` is listed in `publicProcedures` (by service name or by procedure path). */
export function isPublicProcedure(publicProcedures: readonly string[], service: string, method: string): boolean {
  return publicProcedures.includes(service) || publicProcedures.includes(`/${service}/${method}`);
}

/** Creates the authentication interceptor. */
export function createAuthenticationInterceptor(options: AuthenticationOptions): Interceptor {
  const publicProcedures = options.publicProcedures ?? [];
  return (next) => async (req) => {
    const service = req.service.typeName;
    const method = req.method.name;
    if (isPublicProcedure(publicProcedures, service, method)) return next(req);
    const principal = await options.authenticate({
      header: req.header,
      service,
      method,
      procedure: `/${service}/${method}`,
    });
    req.contextValues
      .set(kPrincipal, principal)
      .set(kLogger, req.contextValues.get(kLogger).child({ principal_id: principal.principalId }));
    return next(req);
  };
}

/**
 * The request's principal, for handlers that need one. Throws ERR_AUTH_REQUIRED (Unauthenticated) when there is
 * none (the RPC is public, or the service runs without an authenticator), so a wiring mistake fails closed.
 */
export function requirePrincipal(values: ContextValues): Principal {
  const principal = values.get(kPrincipal);
  if (!principal) throw errors.authRequired("authentication required");
  return principal;
}
