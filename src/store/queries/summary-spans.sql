-- The spans of the given traces as the summarizer reads them: the columns of assembly-spans.sql, under the same
-- names so the same conversion reads them, but holding only what a trajectory_summaries row depends on
-- (src/trajectories/read-summary-input.ts says which summary column needs which). The input history is cut in
-- ClickHouse to the first user message (the task id hashes it), and the columns no summary column reads (tool
-- definitions, tool arguments and results) are left empty, so the summarizer neither ships nor parses the
-- re-sent history. Output messages stay whole: tool calls are counted by the same pairing the turns use.
-- Content put back and retried spans collapsed by resolved-spans.sql; the (tenant, trace_id) sort-key prefix
-- keeps it a point read per trace.
SELECT
    trace_id, span_id, parent_span_id, kind, status,
    toString(start_time_unix_nano) AS start_time_unix_nano, toString(end_time_unix_nano) AS end_time_unix_nano,
    toUnixTimestamp64Milli(ingested_at) AS ingested_ms,
    provider, model, input_tokens, output_tokens,
    if(first_user_message = '', '[]', concat('[', first_user_message, ']')) AS input_messages,
    output_messages, '' AS tool_definitions,
    tool_name, tool_call_id, '' AS tool_arguments, '' AS tool_result, agent_name, agent_id, conversation_id,
    task_id, task, first_user_text, rollout_id, attempt_id,
    arrayMap(reward -> tuple(reward.1, toString(reward.2)), rewards) AS rewards,
    if(position(events, 'gen_ai.evaluation.result') > 0, events, '') AS events
FROM
(
    SELECT
        trace_id, span_id, parent_span_id, kind, status, start_time_unix_nano, end_time_unix_nano, ingested_at,
        provider, model, input_tokens, output_tokens, tool_name, tool_call_id, agent_name, agent_id,
        conversation_id, task_id, task, first_user_text, rollout_id, attempt_id, rewards, events,
        if(kind = 'llm', output_messages, '') AS output_messages,
        if(kind = 'llm',
           arrayFirst(message -> JSONExtractString(message, 'role') = 'user', JSONExtractArrayRaw(input_messages)),
           '') AS first_user_message
    FROM resolved_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
)
ORDER BY trace_id, start_time_unix_nano, span_id
