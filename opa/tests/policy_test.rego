# Tests of the PECR authorization policy. Run with `pecr policy test` (embedded evaluator) or `opa test opa/`.
package pecr.authz_test

import data.pecr.authz
import rego.v1

# A complete PolicyInput: fields that do not apply are null.
base := {
	"action": "create_session",
	"principal_id": "nobody",
	"tenant_id": "tenant-a",
	"roles": [],
	"attributes": {},
	"principal_kind": "human",
	"policy_snapshot_hash": "0000000000000000000000000000000000000000000000000000000000000000",
	"policy_bundle_hash": "0000000000000000000000000000000000000000000000000000000000000000",
	"as_of_time": "2026-01-01T00:00:00Z",
	"request_id": "req-1",
	"trace_id": null,
	"session_id": null,
	"policy_snapshot_id": null,
	"budget_hash": null,
	"op_name": null,
	"params_hash": null,
	"params_bytes": null,
	"object_id": null,
	"view_id": null,
	"fields_hash": null,
	"filter_fingerprint": null,
}

operators := ["search", "fetch_span", "fetch_rows", "aggregate", "list_versions", "diff", "redact"]

principals := ["dev", "analyst", "support", "auditor", "guest"]

no_redaction := {}

support_redaction := {"deny_fields": ["admin_note", "injection_note"]}

# The decision for `base` patched with `fields`.
decide(fields) := d if {
	d := authz.decision with input as object.union(base, fields)
}

session(action, principal) := decide({"action": action, "principal_id": principal})

op(principal, name, object_id, view_id) := decide({
	"action": "operator_call",
	"principal_id": principal,
	"op_name": name,
	"object_id": object_id,
	"view_id": view_id,
	"session_id": "s-1",
})

allowed(d, reason, cacheable, redaction) if {
	d.allow == true
	d.reason == reason
	d.cacheable == cacheable
	d.redaction == redaction
}

denied(d) if d == {"allow": false, "cacheable": false, "reason": "default_deny", "redaction": {}}

# ---- default deny -----------------------------------------------------------------------------------

test_default_deny_for_unknown_principal if {
	denied(session("create_session", "mallory"))
	denied(session("finalize", "mallory"))
	denied(op("mallory", "search", null, null))
}

test_default_deny_for_unknown_action if {
	denied(decide({"action": "delete_everything", "principal_id": "dev"}))
}

test_default_deny_for_empty_input if {
	d := authz.decision with input as {}
	denied(d)
}

# ---- tenant ---------------------------------------------------------------------------------------------

test_tenant_is_required if {
	denied(decide({"principal_id": "dev", "tenant_id": ""}))
	denied(decide({"principal_id": "dev", "tenant_id": "   "}))
	denied(decide({"principal_id": "dev", "tenant_id": null}))
	denied(decide({"action": "operator_call", "principal_id": "dev", "op_name": "search", "tenant_id": ""}))
	denied(decide({"action": "audit", "principal_id": "auditor", "tenant_id": null}))
}

# ---- sessions ---------------------------------------------------------------------------------------------

test_every_known_principal_creates_and_finalizes_sessions if {
	every p in principals {
		allowed(session("create_session", p), concat("_", ["create_session", p]), false, no_redaction)
		allowed(session("finalize", p), concat("_", ["finalize", p]), false, no_redaction)
	}
}

test_session_reason_names_the_highest_principal if {
	allowed(
		decide({"principal_id": "u-1", "roles": ["pecr:guest", "pecr:support", "pecr:dev"]}),
		"create_session_dev", false, no_redaction,
	)
	allowed(
		decide({"principal_id": "guest", "roles": ["pecr:auditor"]}),
		"create_session_auditor", false, no_redaction,
	)
	allowed(
		decide({"action": "finalize", "principal_id": "u-2", "roles": ["pecr:guest", "pecr:analyst"]}),
		"finalize_analyst", false, no_redaction,
	)
}

test_roles_grant_sessions if {
	every p in principals {
		allowed(
			decide({"principal_id": "u-1", "roles": [concat(":", ["pecr", p])]}),
			concat("_", ["create_session", p]), false, no_redaction,
		)
	}
}

test_unrelated_roles_grant_nothing if {
	denied(decide({"principal_id": "u-1", "roles": ["dev", "admin", "pecr:root"]}))
}

# ---- operators: dev and analyst -----------------------------------------------------------------------------

test_dev_may_call_every_operator_on_anything if {
	every name in operators {
		allowed(op("dev", name, "secret/x.txt", "anything"), "operator_call_dev", true, no_redaction)
	}
}

test_analyst_may_call_every_operator_with_admin_note_redacted if {
	every name in operators {
		allowed(op("analyst", name, "secret/x.txt", null), "operator_call_analyst", true, {"deny_fields": ["admin_note"]})
	}
}

test_role_based_dev_and_analyst if {
	allowed(
		decide({"action": "operator_call", "principal_id": "u-1", "roles": ["pecr:dev"], "op_name": "redact"}),
		"operator_call_dev", true, no_redaction,
	)
	allowed(
		decide({"action": "operator_call", "principal_id": "u-1", "roles": ["pecr:analyst"], "op_name": "diff"}),
		"operator_call_analyst", true, {"deny_fields": ["admin_note"]},
	)
}

test_operator_precedence_dev_over_analyst_over_support if {
	allowed(
		decide({"action": "operator_call", "principal_id": "analyst", "roles": ["pecr:dev"], "op_name": "search"}),
		"operator_call_dev", true, no_redaction,
	)
	allowed(
		decide({"action": "operator_call", "principal_id": "support", "roles": ["pecr:analyst"], "op_name": "redact"}),
		"operator_call_analyst", true, {"deny_fields": ["admin_note"]},
	)
}

test_unknown_operator_is_denied_even_for_dev if {
	denied(op("dev", "drop_table", null, null))
	denied(op("dev", null, null, null))
}

# ---- operators: support ------------------------------------------------------------------------------------

test_support_may_search if {
	allowed(op("support", "search", null, null), "operator_call_support_search", true, no_redaction)
}

test_support_reads_public_and_injection_documents if {
	every name in ["list_versions", "fetch_span", "diff"] {
		allowed(op("support", name, "public/a.txt", null), "operator_call_support_fs", true, support_redaction)
		allowed(op("support", name, "injection/b.txt", null), "operator_call_support_fs", true, support_redaction)
	}
}

test_support_may_not_read_other_documents if {
	every name in ["list_versions", "fetch_span", "diff"] {
		denied(op("support", name, "private/a.txt", null))
		denied(op("support", name, "publicity/a.txt", null))
		denied(op("support", name, null, null))
	}
}

test_support_reads_allowlisted_views if {
	every name in ["fetch_rows", "aggregate"] {
		allowed(op("support", name, null, "safe_customer_view_public"), "operator_call_support_db", true, support_redaction)
		allowed(op("support", name, null, "safe_customer_view_support"), "operator_call_support_db", true, support_redaction)
	}
}

test_support_may_not_read_other_views if {
	every name in ["fetch_rows", "aggregate"] {
		denied(op("support", name, null, "safe_customer_view_admin"))
		denied(op("support", name, null, null))
	}
}

test_support_may_not_redact if {
	denied(op("support", "redact", "public/a.txt", "safe_customer_view_public"))
}

test_role_based_support if {
	allowed(
		decide({"action": "operator_call", "principal_id": "u-9", "roles": ["pecr:support"], "op_name": "fetch_span", "object_id": "public/x"}),
		"operator_call_support_fs", true, support_redaction,
	)
}

# ---- operators: guest and auditor ----------------------------------------------------------------------------

test_guest_and_auditor_call_no_operators if {
	every name in operators {
		denied(op("guest", name, "public/a.txt", "safe_customer_view_public"))
		denied(op("auditor", name, "public/a.txt", "safe_customer_view_public"))
	}
}

# ---- audit -------------------------------------------------------------------------------------------------

test_dev_and_auditor_may_audit if {
	allowed(session("audit", "dev"), "audit_dev", false, no_redaction)
	allowed(session("audit", "auditor"), "audit_auditor", false, no_redaction)
	allowed(decide({"action": "audit", "principal_id": "u-3", "roles": ["pecr:auditor"]}), "audit_auditor", false, no_redaction)
	allowed(decide({"action": "audit", "principal_id": "auditor", "roles": ["pecr:dev"]}), "audit_dev", false, no_redaction)
}

test_others_may_not_audit if {
	every p in ["analyst", "support", "guest", "mallory"] {
		denied(session("audit", p))
	}
}
