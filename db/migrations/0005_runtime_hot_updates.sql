-- Every call rewrites its session's runtime row (counters, evidence set, lease, updated_at). An index over a column
-- that changes, like the (finalized, updated_at) index of 0001 (kept from the original's index review; no query of
-- ours reads it), makes every such update a full new row version with new entries in every index of the table.
-- Without it the indexed columns (session_id, token_expires_at) never change after insert, so updates can be HOT
-- (heap-only: same page, no index writes). Free space per page (fillfactor) leaves them room to stay on the page.
DROP INDEX IF EXISTS pecr_session_runtime_finalized_idx;
ALTER TABLE pecr_session_runtime SET (fillfactor = 70);
