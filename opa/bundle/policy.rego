# PECR authorization policy (Rego v1). Deny by default.
#
# Entry point: data.pecr.authz.decision -> {allow, cacheable, reason, redaction}.
# The input is the gateway's PolicyInput: flat fields (action, principal_id, tenant_id, roles, op_name,
# object_id, view_id, ...), null where they do not apply.
#
# Every grant is computed in helper rules with an explicit precedence (else chains), so no two rule bodies
# can ever produce different decisions for one input (which would be a conflict error at request time).
package pecr.authz

import rego.v1

default decision := {"allow": false, "cacheable": false, "reason": "default_deny", "redaction": {}}

decision := grant if {
	tenant_present
	grant := granted
}

# ---- principals ---------------------------------------------------------------------------------------

# A principal is `name` by principal id, or by holding the role `pecr:<name>`.
is_principal(name) if input.principal_id == name

is_principal(name) if principal_roles[name] in input.roles

principal_roles := {
	"dev": "pecr:dev",
	"analyst": "pecr:analyst",
	"support": "pecr:support",
	"auditor": "pecr:auditor",
	"guest": "pecr:guest",
}

# Precedence for session actions: dev > analyst > support > auditor > guest.
session_principal := "dev" if is_principal("dev")
else := "analyst" if is_principal("analyst")
else := "support" if is_principal("support")
else := "auditor" if is_principal("auditor")
else := "guest" if is_principal("guest")

# Precedence for the audit RPCs: dev > auditor.
audit_principal := "dev" if is_principal("dev")
else := "auditor" if is_principal("auditor")

# Every decision needs a tenant.
tenant_present if {
	is_string(input.tenant_id)
	trim_space(input.tenant_id) != ""
}

# ---- grants by action (the actions are disjoint, so at most one applies) ------------------------------

granted := allow_uncached(concat("_", ["create_session", session_principal])) if input.action == "create_session"

granted := allow_uncached(concat("_", ["finalize", session_principal])) if input.action == "finalize"

granted := allow_uncached(concat("_", ["audit", audit_principal])) if input.action == "audit"

granted := operator_grant if {
	input.action == "operator_call"
	input.op_name in operators
}

allow_uncached(reason) := {"allow": true, "cacheable": false, "reason": reason, "redaction": {}}

operators := {"search", "fetch_span", "fetch_rows", "aggregate", "list_versions", "diff", "redact"}

# ---- operator calls: dev > analyst > support; guests and auditors get none -----------------------------

operator_grant := {"allow": true, "cacheable": true, "reason": "operator_call_dev", "redaction": {}} if {
	is_principal("dev")
} else := {
	"allow": true,
	"cacheable": true,
	"reason": "operator_call_analyst",
	"redaction": {"deny_fields": ["admin_note"]},
} if {
	is_principal("analyst")
} else := grant if {
	is_principal("support")
	grant := support_grant
}

support_redaction := {"deny_fields": ["admin_note", "injection_note"]}

support_fs_operators := {"list_versions", "fetch_span", "diff"}

support_fs_prefixes := {"public/", "injection/"}

support_db_operators := {"fetch_rows", "aggregate"}

support_db_views := {"safe_customer_view_public", "safe_customer_view_support"}

# The three support grants cover disjoint operators; `redact` has none.
support_grant := {"allow": true, "cacheable": true, "reason": "operator_call_support_search", "redaction": {}} if {
	input.op_name == "search"
}

support_grant := {"allow": true, "cacheable": true, "reason": "operator_call_support_fs", "redaction": support_redaction} if {
	input.op_name in support_fs_operators
	input.object_id != null
	some prefix in support_fs_prefixes
	startswith(input.object_id, prefix)
}

support_grant := {"allow": true, "cacheable": true, "reason": "operator_call_support_db", "redaction": support_redaction} if {
	input.op_name in support_db_operators
	input.view_id in support_db_views
}
