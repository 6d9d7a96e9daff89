/**
 * The seven operators a plan step may name, with the `OperatorParams` oneof case and the parameter schema of
 * each. This is the controller's operator allowlist: a plan step naming anything else never reaches the gateway.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import {
  AggregateParamsSchema,
  FetchRowsParamsSchema,
  FetchSpanParamsSchema,
  ListVersionsParamsSchema,
  type OperatorParams,
  RedactParamsSchema,
  SearchParamsSchema,
} from "#gen/pecr/v1/operator_pb.js";
import { DiffParamsSchema } from "#gen/pecr/v1/evidence_pb.js";

/** An operator's snake_case name, as the policy and the ledger spell it. */
export type OperatorName = "search" | "fetch_span" | "fetch_rows" | "aggregate" | "list_versions" | "diff" | "redact";

/** The `OperatorParams.params` oneof case of an operator. */
export type OperatorCase = NonNullable<OperatorParams["params"]["case"]>;

/** One allowlisted operator. */
export interface OperatorSpec {
  /** snake_case name. */
  readonly name: OperatorName;
  /** The oneof case carrying its parameters. */
  readonly case: OperatorCase;
  /** Schema of its parameters message. */
  readonly paramsSchema: DescMessage;
}

/** The allowlist, in the order of the `Operator` enum. */
export const OPERATOR_SPECS: readonly OperatorSpec[] = [
  { name: "search", case: "search", paramsSchema: SearchParamsSchema },
  { name: "fetch_span", case: "fetchSpan", paramsSchema: FetchSpanParamsSchema },
  { name: "fetch_rows", case: "fetchRows", paramsSchema: FetchRowsParamsSchema },
  { name: "aggregate", case: "aggregate", paramsSchema: AggregateParamsSchema },
  { name: "list_versions", case: "listVersions", paramsSchema: ListVersionsParamsSchema },
  { name: "diff", case: "diff", paramsSchema: DiffParamsSchema },
  { name: "redact", case: "redact", paramsSchema: RedactParamsSchema },
];

/** The spec of the operator called `name`, or undefined when it is not allowlisted. */
export function operatorByName(name: string): OperatorSpec | undefined {
  return OPERATOR_SPECS.find((spec) => spec.name === name);
}

/** The spec of the operator a params message calls, or undefined when no (or an unknown) case is set. */
export function operatorOf(params: OperatorParams): OperatorSpec | undefined {
  const selected = params.params.case;
  return selected === undefined ? undefined : OPERATOR_SPECS.find((spec) => spec.case === selected);
}
