-- The turns of one trajectory from the `turns` view, in order.
SELECT
    index, span_id, model, provider, status, input_messages, new_messages, output_message, finish_reason,
    tool_calls, input_tokens, output_tokens, latency_ms, toString(start_time_unix_nano) AS start_time_unix_nano,
    air_reward, tool_definitions
FROM turns(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
WHERE trajectory_id = {id:String}
ORDER BY index
