/**
 * Request metadata headers that carry credentials (reference §2.3). Lowercase, as HTTP/2 and `Headers` use them.
 */

/** Local mode: the caller's principal id. */
export const PRINCIPAL_ID_HEADER = "x-pecr-principal-id";

/** Local mode: the shared secret, when one is configured. */
export const LOCAL_AUTH_SECRET_HEADER = "x-pecr-local-auth-secret";

/** OIDC mode: `Bearer <jwt>`. */
export const AUTHORIZATION_HEADER = "authorization";
