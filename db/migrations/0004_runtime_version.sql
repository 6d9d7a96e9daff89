-- Optimistic session calls (services/gateway/sessions/session-state-cache.ts). Every change of a session's runtime
-- counters bumps runtime_version. A gateway may run a call on the state it last committed itself, without first
-- taking the session lease; its write then applies only if the row is still at that version and no lease is held.
-- Otherwise nothing is written, and the call runs again under the lease.
ALTER TABLE pecr_session_runtime ADD COLUMN IF NOT EXISTS runtime_version bigint NOT NULL DEFAULT 0;
