-- The materialized views that log, per insert, which traces' summaries may be stale (`dirty_traces`, table in
-- migrations/0004_trajectory_summaries.sql): spans, evaluation events, and feedback posted through the API or
-- inserted with SQL. The summarizer (summarize-traces.ts) polls that log. Re-applied on every start
-- (src/store/derived-definitions.ts).
CREATE MATERIALIZED VIEW IF NOT EXISTS dirty_traces_spans_mv {{on_cluster}} TO dirty_traces AS
SELECT tenant, trace_id, max(ingested_at) AS ingested_at
FROM spans
GROUP BY tenant, trace_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS dirty_traces_events_mv {{on_cluster}} TO dirty_traces AS
SELECT tenant, trace_id, max(ingested_at) AS ingested_at
FROM events
WHERE event_name = 'gen_ai.evaluation.result' AND trace_id != ''
GROUP BY tenant, trace_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS dirty_traces_feedback_mv {{on_cluster}} TO dirty_traces AS
SELECT tenant, trace_id, max(ingested_at) AS ingested_at
FROM feedback
GROUP BY tenant, trace_id;
