-- The spans of the given traces as the summarizer reads them: the columns of assembly-spans.sql, under the same
-- names so the same conversion reads them, but holding only what a trajectory_summaries row depends on
-- (src/trajectories/read-summary-input.ts says which summary column needs which). No tool definitions, tool
-- arguments or results; message lists as refs into the trace's contents, of which summary-contents.sql ships only
-- the user and output messages; a row that keeps its input inline (no refs) ships only its first user message,
-- cut out in ClickHouse (the task id hashes it). So the summarizer neither ships nor parses the re-sent history.
-- FINAL collapses retried spans; `trace_id IN` on the (tenant, trace_id) sort-key prefix keeps it a point read.
-- The trace filter is a PREWHERE: FINAL keeps ClickHouse from moving it there, and on the sort key's prefix it is
-- exact (docs/decisions/2026-12-03-prewhere-under-final.md).
SELECT
    trace_id, span_id, parent_span_id, kind, status,
    toString(start_time_unix_nano) AS start_time_unix_nano, toString(end_time_unix_nano) AS end_time_unix_nano,
    toUnixTimestamp64Milli(ingested_at) AS ingested_ms,
    provider, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens, error_type,
    if(kind != 'llm' OR notEmpty(input_message_refs), '',
       concat('[', arrayFirst(message -> JSONExtractString(message, 'role') = 'user',
                              JSONExtractArrayRaw(spans.input_messages)), ']')) AS input_messages,
    if(kind = 'llm', output_messages, '') AS output_messages,
    '' AS tool_definitions,
    if(kind = 'llm', input_message_refs, []) AS input_message_refs,
    if(kind = 'llm', output_message_refs, []) AS output_message_refs,
    tool_name, tool_call_id, '' AS tool_arguments, '' AS tool_result, agent_name, agent_id, conversation_id,
    task_id, task, first_user_text, rollout_id, attempt_id,
    arrayMap(reward -> tuple(reward.1, toString(reward.2)), rewards) AS rewards,
    if(position(events, 'gen_ai.evaluation.result') > 0, events, '') AS events
FROM spans FINAL
PREWHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
ORDER BY trace_id, start_time_unix_nano, span_id
