-- PECR ledger, version 2: approvals of escalated MCP tool calls.
--
-- An approval is state that changes (pending -> approved | rejected -> consumed), but it is kept as append-only
-- rows rather than a mutable row with a state column: one row for the escalation and at most one row per later
-- step, each written in the same transaction as the hash-chained event that causes it and naming that event.
-- The primary key (approval_id, step) is what makes "decided once" and "consumed once" atomic: a second decision
-- or a second use of the same approval conflicts and its whole unit of work (event included) is rolled back.
-- Nothing is ever updated, so the tables take the same append-only triggers as the ledger, and verification
-- checks every row against the event it names (a row inserted behind the chain's back is a break).
-- Idempotent like 0001.

-- Fails the statement (and so its transaction) with SQLSTATE PM001 unless `ok`: the approval writes assert their
-- own preconditions server-side, so they also hold when a batch's statements are sent without waiting for results.
CREATE OR REPLACE FUNCTION pecr_mcp_approval_check(ok boolean, message text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION 'mcp approval conflict: %', message USING ERRCODE = 'PM001';
  END IF;
  RETURN true;
END;
$$;

-- One row per escalated tool call: who asked, for which tool and arguments hash.
CREATE TABLE IF NOT EXISTS pecr_mcp_approvals (
  approval_id        text        PRIMARY KEY,
  actor              text        NOT NULL,
  tenant_id          text        NOT NULL,
  tool_name          text        NOT NULL,
  arguments_hash     text        NOT NULL CHECK (arguments_hash ~ '^[0-9a-f]{64}$'),
  -- The ESCALATED MCP_ENFORCEMENT event that created it (checked at commit: the event is appended after this row).
  requested_event_id text        NOT NULL UNIQUE REFERENCES pecr_events (event_id) DEFERRABLE INITIALLY DEFERRED,
  requested_at       timestamptz NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- The later steps of an approval: `decided` (by a human, approved or not) and `consumed` (by one run of the call).
CREATE TABLE IF NOT EXISTS pecr_mcp_approval_steps (
  approval_id  text        NOT NULL REFERENCES pecr_mcp_approvals (approval_id),
  step         text        NOT NULL CHECK (step IN ('decided', 'consumed')),
  -- The decision (decided only).
  approved     boolean,
  -- The human who decided, or the actor whose call consumed the approval.
  principal_id text        NOT NULL,
  -- The MCP_APPROVAL (decided) or ALLOWED MCP_ENFORCEMENT (consumed) event of the step.
  event_id     text        NOT NULL UNIQUE REFERENCES pecr_events (event_id) DEFERRABLE INITIALLY DEFERRED,
  step_at      timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (approval_id, step),
  CHECK ((step = 'decided') = (approved IS NOT NULL))
);

-- The gateway looks approvals up by the call they are for.
CREATE INDEX IF NOT EXISTS pecr_mcp_approvals_call_idx
  ON pecr_mcp_approvals (actor, tool_name, arguments_hash, requested_at DESC);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['pecr_mcp_approvals', 'pecr_mcp_approval_steps']
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(t) AND tgname = t || '_append_only') THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION pecr_reject_mutation()',
                     t || '_append_only', t);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(t) AND tgname = t || '_no_truncate') THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION pecr_reject_mutation()',
                     t || '_no_truncate', t);
    END IF;
  END LOOP;
END;
$$;

GRANT SELECT, INSERT ON pecr_mcp_approvals, pecr_mcp_approval_steps TO pecr_app;
GRANT EXECUTE ON FUNCTION pecr_mcp_approval_check(boolean, text) TO pecr_app;
