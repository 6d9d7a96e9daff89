/**
 * The Node request handler shape connect-node's adapter produces and accepts as `fallback`: one function for
 * both `http` (HTTP/1.1) and `http2` (including its HTTP/1.1 compatibility mode) requests. connect-node does not
 * export these types from its entry point, so they are derived from `connectNodeAdapter`.
 */
import type { connectNodeAdapter } from "@connectrpc/connect-node";

/** A request handler for `http` and `http2` servers. */
export type NodeHandler = ReturnType<typeof connectNodeAdapter>;
/** An `http.IncomingMessage` or `http2.Http2ServerRequest`. */
export type NodeRequest = Parameters<NodeHandler>[0];
/** An `http.ServerResponse` or `http2.Http2ServerResponse`. */
export type NodeResponse = Parameters<NodeHandler>[1];
