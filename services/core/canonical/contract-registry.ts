/**
 * A registry of every PECR contract type, for code that handles messages by type name (golden vectors, JSON
 * tooling, reflection).
 */
import { createRegistry, type Registry } from "@bufbuild/protobuf";
import { file_pecr_controller_v1_controller } from "#gen/pecr/controller/v1/controller_pb.js";
import { file_pecr_gateway_v1_gateway } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { file_pecr_gateway_v1_mcp_audit } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import { file_pecr_v1_budget } from "#gen/pecr/v1/budget_pb.js";
import { file_pecr_v1_claim } from "#gen/pecr/v1/claim_pb.js";
import { file_pecr_v1_error } from "#gen/pecr/v1/error_pb.js";
import { file_pecr_v1_evidence } from "#gen/pecr/v1/evidence_pb.js";
import { file_pecr_v1_identity } from "#gen/pecr/v1/identity_pb.js";
import { file_pecr_v1_ledger } from "#gen/pecr/v1/ledger_pb.js";
import { file_pecr_v1_mcp } from "#gen/pecr/v1/mcp_pb.js";
import { file_pecr_v1_operator } from "#gen/pecr/v1/operator_pb.js";
import { file_pecr_v1_policy } from "#gen/pecr/v1/policy_pb.js";
import { file_pecr_v1_terminal_mode } from "#gen/pecr/v1/terminal_mode_pb.js";

/** Returns a registry holding every pecr.* file (a registry does not pull in a file's dependencies by itself). */
export function createContractRegistry(): Registry {
  return createRegistry(
    file_pecr_v1_budget,
    file_pecr_v1_claim,
    file_pecr_v1_error,
    file_pecr_v1_evidence,
    file_pecr_v1_identity,
    file_pecr_v1_ledger,
    file_pecr_v1_mcp,
    file_pecr_v1_operator,
    file_pecr_v1_policy,
    file_pecr_v1_terminal_mode,
    file_pecr_gateway_v1_gateway,
    file_pecr_gateway_v1_mcp_audit,
    file_pecr_controller_v1_controller,
  );
}
