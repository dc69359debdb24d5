-- The `analytics_tool_calls` view: one row per tool execution (a `tool` span), under the trajectory it belongs to.
-- Re-applied on every start (src/store/derived-definitions.ts); docs/analytics.md documents every column. Rows
-- come from `trajectory_calls`, which the summarizer writes, so an execution shows here once its trajectory is
-- listed. An execution failed when its span's status is error; its error type is the span's `error.type`, or
-- `_OTHER` (the GenAI conventions' fallback) when it names none.
CREATE OR REPLACE VIEW analytics_tool_calls {{on_cluster}} AS
SELECT
    tenant,
    trajectory_id,
    trace_id,
    span_id,
    agent_name,
    task_id,
    task,
    tool_name,
    fromUnixTimestamp64Nano(toInt64(trajectory_start_ns)) AS trajectory_start,
    toStartOfHour(trajectory_start) AS hour,
    toStartOfDay(trajectory_start) AS day,
    fromUnixTimestamp64Nano(toInt64(start_ns)) AS start_time,
    duration_ns / 1e6 AS latency_ms,
    status,
    CAST(status = 'error', 'Bool') AS is_error,
    if(status = 'error', if(error_type != '', error_type, '_OTHER'), '') AS error_type
FROM trajectory_calls FINAL
WHERE kind = 'tool';
