-- PECR ledger, version 1: tables, append-only triggers, indexes and the application role.
--
-- Applied by `pecr ledger migrate` (and at gateway start-up) inside one transaction, into the schema first in
-- `search_path`; recorded in `pecr_schema_migrations`. Every statement is idempotent, so re-running the file on
-- a database that already has it changes nothing. The same file runs on PostgreSQL and on PGlite.

-- Append-only enforcement: any UPDATE, DELETE or TRUNCATE on a table carrying this trigger fails.
CREATE OR REPLACE FUNCTION pecr_reject_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'append-only table: %', TG_TABLE_NAME USING ERRCODE = 'PE001';
END;
$$;

-- The chain head is mutable, but only forwards: it can never be deleted, truncated or moved back.
CREATE OR REPLACE FUNCTION pecr_chain_head_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'append-only table: %', TG_TABLE_NAME USING ERRCODE = 'PE001';
  END IF;
  IF NEW.chain_id <> OLD.chain_id OR NEW.seq < OLD.seq THEN
    RAISE EXCEPTION 'chain head may only move forward: %', OLD.chain_id USING ERRCODE = 'PE001';
  END IF;
  RETURN NEW;
END;
$$;

-- Microseconds since the Unix epoch: times are compared as integers, never as rounded client-side dates.
CREATE OR REPLACE FUNCTION pecr_epoch_us(ts timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT (extract(epoch FROM ts) * 1000000)::bigint $$;

-- Who asked, under which policy bundle, at which point in time (canonical `pecr.v1.PolicySnapshot` bytes).
CREATE TABLE IF NOT EXISTS pecr_policy_snapshots (
  policy_snapshot_id   text        PRIMARY KEY,
  policy_snapshot_hash text        NOT NULL,
  principal_id         text        NOT NULL,
  tenant_id            text        NOT NULL,
  as_of_time           timestamptz NOT NULL,
  policy_bundle_hash   text        NOT NULL,
  evaluated_at         timestamptz NOT NULL,
  canonical_bytes      bytea       NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now()
);

-- One row per session; never updated (finalization lives in the runtime row and the FINALIZE_RESULT event).
CREATE TABLE IF NOT EXISTS pecr_sessions (
  session_id         text        PRIMARY KEY,
  trace_id           text        NOT NULL,
  principal_id       text        NOT NULL,
  tenant_id          text        NOT NULL,
  policy_snapshot_id text        NOT NULL REFERENCES pecr_policy_snapshots (policy_snapshot_id),
  budget             bytea       NOT NULL,
  session_created_at timestamptz NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- The mutable part of a session: counters, emitted evidence, token, finalized flag and the serialisation lease.
CREATE TABLE IF NOT EXISTS pecr_session_runtime (
  session_id          text        PRIMARY KEY REFERENCES pecr_sessions (session_id),
  tenant_id           text        NOT NULL,
  session_token_hash  text        NOT NULL,
  token_expires_at    timestamptz NOT NULL,
  operator_calls_used bigint      NOT NULL DEFAULT 0 CHECK (operator_calls_used >= 0),
  bytes_used          bigint      NOT NULL DEFAULT 0 CHECK (bytes_used >= 0),
  evidence_unit_ids   text[]      NOT NULL DEFAULT '{}',
  finalized           boolean     NOT NULL DEFAULT false,
  lease_owner         text,
  lease_expires_at    timestamptz,
  updated_at          timestamptz NOT NULL
);

-- The hash chain. `canonical_bytes` are the exact bytes `event_hash` was computed over; the other columns are
-- an index over them and are checked against the decoded bytes by verification.
CREATE TABLE IF NOT EXISTS pecr_events (
  chain_id           text        NOT NULL,
  seq                bigint      NOT NULL CHECK (seq >= 1),
  event_id           text        NOT NULL UNIQUE,
  event_type         text        NOT NULL,
  event_time         timestamptz NOT NULL,
  trace_id           text        NOT NULL,
  session_id         text        NOT NULL,
  principal_id       text        NOT NULL,
  policy_snapshot_id text        NOT NULL,
  request_id         text        NOT NULL,
  prev_hash          text        NOT NULL,
  event_hash         text        NOT NULL UNIQUE,
  canonical_bytes    bytea       NOT NULL,
  PRIMARY KEY (chain_id, seq),
  -- Fork guard: two events can never claim the same predecessor.
  UNIQUE (chain_id, prev_hash),
  CHECK ((seq = 1) = (prev_hash = repeat('0', 64)))
);

-- One row per chain, inserted here, so appenders always have a row to lock (`SELECT ... FOR UPDATE`).
CREATE TABLE IF NOT EXISTS pecr_chain_head (
  chain_id   text        PRIMARY KEY,
  seq        bigint      NOT NULL CHECK (seq >= 0),
  head_hash  text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pecr_chain_head (chain_id, seq, head_hash) VALUES ('main', 0, repeat('0', 64))
ON CONFLICT (chain_id) DO NOTHING;

-- Evidence units, keyed by their content-addressed id. `canonical_bytes` is the unit without its content (so
-- the id can be recomputed); `payload` holds the content (canonical `pecr.v1.ContentIdentity` bytes of it) only
-- in payload-enabled mode. Inserted with ON CONFLICT DO NOTHING: the first session and trace are kept.
CREATE TABLE IF NOT EXISTS pecr_evidence_units (
  evidence_unit_id     text        PRIMARY KEY,
  trace_id             text        NOT NULL,
  session_id           text        NOT NULL REFERENCES pecr_sessions (session_id),
  source_system        text        NOT NULL,
  object_id            text        NOT NULL,
  version_id           text        NOT NULL,
  content_type         text        NOT NULL,
  content_hash         text        NOT NULL,
  as_of_time           timestamptz NOT NULL,
  retrieved_at         timestamptz NOT NULL,
  policy_snapshot_id   text        NOT NULL,
  policy_snapshot_hash text        NOT NULL,
  canonical_bytes      bytea       NOT NULL,
  payload              bytea,
  created_at           timestamptz NOT NULL DEFAULT now()
);

-- Gated claim maps (canonical `pecr.v1.ClaimMap` bytes); `claim_map_hash` is cited by FINALIZE_RESULT.
CREATE TABLE IF NOT EXISTS pecr_claim_maps (
  claim_map_id       text             PRIMARY KEY,
  trace_id           text             NOT NULL,
  session_id         text             NOT NULL REFERENCES pecr_sessions (session_id),
  terminal_mode      text             NOT NULL,
  coverage_threshold double precision NOT NULL,
  coverage_observed  double precision NOT NULL,
  claim_map_hash     text             NOT NULL,
  canonical_bytes    bytea            NOT NULL,
  created_at         timestamptz      NOT NULL DEFAULT now()
);

-- Content-addressed source versions: one row per (object, version) with the as_of of its first observation.
CREATE TABLE IF NOT EXISTS pecr_source_versions (
  source_system        text        NOT NULL,
  object_id            text        NOT NULL,
  version_id           text        NOT NULL,
  first_observed_as_of timestamptz NOT NULL,
  byte_length          bigint      NOT NULL CHECK (byte_length = octet_length(bytes)),
  bytes                bytea       NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_system, object_id, version_id)
);

-- Signed checkpoints of the chain head (canonical `pecr.v1.LedgerCheckpoint` bytes and their Ed25519 signature).
CREATE TABLE IF NOT EXISTS pecr_checkpoints (
  chain_id        text        NOT NULL,
  seq             bigint      NOT NULL,
  head_hash       text        NOT NULL,
  key_id          text        NOT NULL,
  public_key      bytea       NOT NULL,
  signature       bytea       NOT NULL,
  checkpoint_at   timestamptz NOT NULL,
  canonical_bytes bytea       NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, seq, key_id)
);

-- Read paths (reference §4.1) plus events by session and trace in chain order and versions by time.
CREATE INDEX IF NOT EXISTS pecr_policy_snapshots_hash_idx ON pecr_policy_snapshots (policy_snapshot_hash);
CREATE INDEX IF NOT EXISTS pecr_policy_snapshots_principal_idx ON pecr_policy_snapshots (principal_id, as_of_time DESC);
CREATE INDEX IF NOT EXISTS pecr_sessions_trace_idx ON pecr_sessions (trace_id);
CREATE INDEX IF NOT EXISTS pecr_sessions_snapshot_idx ON pecr_sessions (policy_snapshot_id);
CREATE INDEX IF NOT EXISTS pecr_session_runtime_expiry_idx ON pecr_session_runtime (token_expires_at);
CREATE INDEX IF NOT EXISTS pecr_session_runtime_finalized_idx ON pecr_session_runtime (finalized, updated_at);
CREATE INDEX IF NOT EXISTS pecr_events_session_idx ON pecr_events (session_id, seq);
CREATE INDEX IF NOT EXISTS pecr_events_trace_idx ON pecr_events (trace_id, seq);
CREATE INDEX IF NOT EXISTS pecr_events_type_idx ON pecr_events (event_type);
CREATE INDEX IF NOT EXISTS pecr_events_snapshot_idx ON pecr_events (policy_snapshot_id);
CREATE INDEX IF NOT EXISTS pecr_evidence_units_trace_idx ON pecr_evidence_units (trace_id, created_at DESC);
CREATE INDEX IF NOT EXISTS pecr_evidence_units_session_idx ON pecr_evidence_units (session_id, created_at DESC);
CREATE INDEX IF NOT EXISTS pecr_evidence_units_snapshot_idx ON pecr_evidence_units (policy_snapshot_id);
CREATE INDEX IF NOT EXISTS pecr_evidence_units_object_idx ON pecr_evidence_units (object_id, version_id);
CREATE INDEX IF NOT EXISTS pecr_claim_maps_session_idx ON pecr_claim_maps (session_id);
CREATE INDEX IF NOT EXISTS pecr_claim_maps_trace_idx ON pecr_claim_maps (trace_id, created_at DESC);
CREATE INDEX IF NOT EXISTS pecr_source_versions_time_idx
  ON pecr_source_versions (source_system, object_id, first_observed_as_of);

-- Append-only triggers: row-level for UPDATE and DELETE, statement-level for TRUNCATE.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['pecr_policy_snapshots', 'pecr_sessions', 'pecr_events', 'pecr_evidence_units',
                           'pecr_claim_maps', 'pecr_source_versions', 'pecr_checkpoints']
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
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass('pecr_chain_head')
                 AND tgname = 'pecr_chain_head_forward_only') THEN
    CREATE TRIGGER pecr_chain_head_forward_only BEFORE UPDATE OR DELETE ON pecr_chain_head
      FOR EACH ROW EXECUTE FUNCTION pecr_chain_head_forward_only();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass('pecr_chain_head')
                 AND tgname = 'pecr_chain_head_no_truncate') THEN
    CREATE TRIGGER pecr_chain_head_no_truncate BEFORE TRUNCATE ON pecr_chain_head
      FOR EACH STATEMENT EXECUTE FUNCTION pecr_chain_head_forward_only();
  END IF;
END;
$$;

-- The application role: it may read and insert everywhere, update only the chain head and the runtime rows, and
-- never update, delete or truncate an append-only table. The role is cluster-wide (created once, by whichever
-- schema migrates first); the grants are per schema.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pecr_app') THEN
    BEGIN
      CREATE ROLE pecr_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      -- Another schema's migration created it concurrently.
      NULL;
    END;
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO pecr_app', current_schema());
END;
$$;
GRANT SELECT, INSERT ON pecr_policy_snapshots, pecr_sessions, pecr_events, pecr_evidence_units, pecr_claim_maps,
  pecr_source_versions, pecr_checkpoints TO pecr_app;
GRANT SELECT, INSERT, UPDATE ON pecr_session_runtime TO pecr_app;
GRANT SELECT, UPDATE ON pecr_chain_head TO pecr_app;
GRANT SELECT ON pecr_schema_migrations TO pecr_app;
GRANT EXECUTE ON FUNCTION pecr_epoch_us(timestamptz) TO pecr_app;
