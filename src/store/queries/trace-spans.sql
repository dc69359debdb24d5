-- All spans of one trace for one tenant, in start order. FINAL collapses spans delivered more than once; the
-- (tenant, trace_id) prefix of the sort key keeps this a point read. Content stored once per trace comes as refs,
-- resolved by read-spans.ts with the trace's contents (trace-contents.sql), by the rule of resolved-spans.sql.
-- The trace filter is a PREWHERE: FINAL keeps ClickHouse from moving it there, and on the sort key's prefix it is
-- exact (docs/decisions/2026-12-03-prewhere-under-final.md).
SELECT
    tenant, trace_id, span_id, parent_span_id, name, kind, span_kind, status, status_message,
    toString(start_time_unix_nano) AS start_time_unix_nano, toString(end_time_unix_nano) AS end_time_unix_nano,
    service_name, scope_name, scope_version, convention, operation, provider, model, response_model, response_id,
    finish_reasons, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens,
    input_messages, output_messages, tool_definitions, tool_name, tool_call_id, tool_arguments, tool_result,
    input_message_refs, output_message_refs, tool_definitions_ref, tool_result_ref, attribute_refs,
    agent_name, agent_id, conversation_id, task_id, task, rollout_id, attempt_id,
    arrayMap(reward -> map('name', reward.1, 'value', toString(reward.2)), rewards) AS rewards,
    error_type, attributes, resource_attributes, events, links
FROM spans FINAL
PREWHERE tenant = {tenant:String} AND trace_id = {trace_id:String}
ORDER BY start_time_unix_nano, span_id
