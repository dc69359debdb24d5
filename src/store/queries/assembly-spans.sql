-- The spans of the given traces with only the columns trajectory assembly needs (src/trajectories/), for the
-- API's fast read path and the exports. FINAL collapses retried spans; `trace_id IN` on the (tenant, trace_id)
-- sort-key prefix keeps it a point read per trace. Message lists come as refs into the trace's contents
-- (trace-contents.sql, read beside this query and resolved in TypeScript, so each distinct message is shipped and
-- parsed once) or inline for rows without refs. Span events are shipped only when they can hold an evaluation
-- result, the one thing assembly reads from them.
-- The trace filter is a PREWHERE: FINAL keeps ClickHouse from moving it there, and on the sort key's prefix it is
-- exact (docs/decisions/2026-12-03-prewhere-under-final.md).
SELECT
    trace_id, span_id, parent_span_id, kind, status,
    toString(start_time_unix_nano) AS start_time_unix_nano, toString(end_time_unix_nano) AS end_time_unix_nano,
    toUnixTimestamp64Milli(ingested_at) AS ingested_ms,
    provider, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens, error_type,
    input_messages, output_messages, tool_definitions,
    input_message_refs, output_message_refs, tool_definitions_ref, tool_result_ref,
    tool_name, tool_call_id, tool_arguments, tool_result, agent_name, agent_id, conversation_id, task_id, task,
    first_user_text, rollout_id, attempt_id,
    arrayMap(reward -> tuple(reward.1, toString(reward.2)), rewards) AS rewards,
    if(position(events, 'gen_ai.evaluation.result') > 0, events, '') AS events
FROM spans FINAL
PREWHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
ORDER BY trace_id, start_time_unix_nano, span_id
