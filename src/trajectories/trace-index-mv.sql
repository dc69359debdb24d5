-- The materialized view that keeps `trace_index` (one row per trace, for listing and search candidates; table in
-- migrations/0002_trajectory_tables.sql) as spans are inserted. It reads only plain columns (the first user message
-- text is extracted once at ingest, src/store/span-row.ts), because it runs inside every insert of spans. Its
-- aggregates are idempotent under the duplicate rows a client retry leaves before ReplacingMergeTree merges (min,
-- max, argMin). Re-applied on every start (src/store/derived-definitions.ts).
CREATE MATERIALIZED VIEW IF NOT EXISTS trace_index_mv {{on_cluster}} TO trace_index AS
SELECT
    tenant,
    trace_id,
    min(span_start) AS start_time_unix_nano,
    max(span_end) AS end_time_unix_nano,
    max(span_ingested_at) AS last_ingested_at,
    max(left(task, 2000)) AS task_description,
    argMinStateIf(span_first_user_text, span_start, span_first_user_text != '') AS first_user_text
FROM
(
    -- Renamed so the aggregates' aliases above do not shadow the span columns they aggregate.
    SELECT
        tenant, trace_id, task,
        start_time_unix_nano AS span_start,
        end_time_unix_nano AS span_end,
        ingested_at AS span_ingested_at,
        first_user_text AS span_first_user_text
    FROM spans
)
GROUP BY tenant, trace_id;
