/**
 * The seven operator RPCs: each maps its request to the shared operator pipeline and its result back to the
 * response message. No domain logic lives here.
 */
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  AggregateResponseSchema,
  DiffResponseSchema,
  FetchRowsResponseSchema,
  FetchSpanResponseSchema,
  ListVersionsResponseSchema,
  RedactResponseSchema,
  SearchResponseSchema,
  type AggregateRequest,
  type AggregateResponse,
  type DiffRequest,
  type DiffResponse,
  type FetchRowsRequest,
  type FetchRowsResponse,
  type FetchSpanRequest,
  type FetchSpanResponse,
  type ListVersionsRequest,
  type ListVersionsResponse,
  type RedactRequest,
  type RedactResponse,
  type SearchRequest,
  type SearchResponse,
} from "#gen/pecr/gateway/v1/gateway_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { errors } from "#core/errors/pecr-error.js";
import { aggregateOperator } from "../operators/aggregate.js";
import { diffOperator } from "../operators/diff.js";
import { fetchRowsOperator } from "../operators/fetch-rows.js";
import { fetchSpanOperator } from "../operators/fetch-span.js";
import { listVersionsOperator } from "../operators/list-versions.js";
import type { OperatorDefinition } from "../operators/operator-definition.js";
import { runOperatorCall } from "../operators/operator-pipeline.js";
import { redactOperator } from "../operators/redact.js";
import { searchOperator } from "../operators/search.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { callIdentity } from "./call-identity.js";

function run<P, R>(deps: GatewayDeps, definition: OperatorDefinition<P, R>, request: { sessionId: string; params?: P | undefined }, context: HandlerContext) {
  // protovalidate already requires params; this keeps the handler safe without the interceptor too.
  if (request.params === undefined) throw errors.invalidParams("params are required");
  return runOperatorCall(deps, definition, callIdentity(context), request.sessionId, request.params);
}

/** Operator RPC implementations. */
export function createOperatorHandlers(deps: GatewayDeps) {
  const SUPPORTED = TerminalMode.SUPPORTED;
  return {
    async search(request: SearchRequest, context: HandlerContext): Promise<SearchResponse> {
      const { result, usage } = await run(deps, searchOperator, request, context);
      return create(SearchResponseSchema, { terminalMode: SUPPORTED, refs: result, usage });
    },
    async fetchSpan(request: FetchSpanRequest, context: HandlerContext): Promise<FetchSpanResponse> {
      const { result, usage } = await run(deps, fetchSpanOperator, request, context);
      return create(FetchSpanResponseSchema, { terminalMode: SUPPORTED, evidenceUnit: result, usage });
    },
    async fetchRows(request: FetchRowsRequest, context: HandlerContext): Promise<FetchRowsResponse> {
      const { result, usage } = await run(deps, fetchRowsOperator, request, context);
      return create(FetchRowsResponseSchema, { terminalMode: SUPPORTED, evidenceUnits: result, usage });
    },
    async aggregate(request: AggregateRequest, context: HandlerContext): Promise<AggregateResponse> {
      const { result, usage } = await run(deps, aggregateOperator, request, context);
      return create(AggregateResponseSchema, { terminalMode: SUPPORTED, evidenceUnit: result, usage });
    },
    async listVersions(request: ListVersionsRequest, context: HandlerContext): Promise<ListVersionsResponse> {
      const { result, usage } = await run(deps, listVersionsOperator, request, context);
      return create(ListVersionsResponseSchema, { terminalMode: SUPPORTED, versions: result, usage });
    },
    async diff(request: DiffRequest, context: HandlerContext): Promise<DiffResponse> {
      const { result, usage } = await run(deps, diffOperator, request, context);
      return create(DiffResponseSchema, { terminalMode: SUPPORTED, evidenceUnit: result, usage });
    },
    async redact(request: RedactRequest, context: HandlerContext): Promise<RedactResponse> {
      const { result, usage } = await run(deps, redactOperator, request, context);
      return create(RedactResponseSchema, { terminalMode: SUPPORTED, evidenceUnits: result, usage });
    },
  };
}
