-- The materialized view that keeps `rollout_traces` (Agent Lightning rollout/attempt id -> trace ids; table in
-- migrations/0002_trajectory_tables.sql), so resolving an `al-` trajectory id never scans every trace's spans
-- (trajectory-id.ts). Re-applied on every start (src/store/derived-definitions.ts).
CREATE MATERIALIZED VIEW IF NOT EXISTS rollout_traces_mv {{on_cluster}} TO rollout_traces AS
SELECT DISTINCT tenant, rollout_id, attempt_id, trace_id
FROM spans
WHERE rollout_id != '';
