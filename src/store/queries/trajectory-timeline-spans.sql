-- The spans of the given traces without their content (no messages, arguments or results): what a timeline of a
-- trajectory draws, lean enough to read tens of thousands of spans at once. FINAL collapses spans delivered more
-- than once; the trace filter is a PREWHERE on the sort key's prefix (docs/decisions/2026-12-03-prewhere-under-final.md).
SELECT
    trace_id, span_id, parent_span_id, name, kind, status, status_message, error_type,
    toString(start_time_unix_nano) AS start_time_unix_nano, toString(end_time_unix_nano) AS end_time_unix_nano,
    model, tool_name, tool_call_id, input_tokens, output_tokens, agent_name, rollout_id, attempt_id
FROM spans FINAL
PREWHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
ORDER BY start_time_unix_nano, span_id
