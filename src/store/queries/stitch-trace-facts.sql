-- Per stitchable trace of the given ones (stitchable-traces.sql), what stitching compares: service, conversation
-- id, Responses chain ids, the first model call's input, the last one's input and output, and when its model calls
-- ran.
SELECT
    trace_id,
    argMinIf(service_name, (start_time_unix_nano, span_id), kind = 'llm') AS service_name,
    argMinIf(conversation_id, (start_time_unix_nano, span_id), conversation_id != '') AS conversation_id,
    -- OpenAI Responses chains: the response the first call continues, and the last call's own response id.
    argMinIf(JSONExtractString(attributes, 'openai.request.previous_response_id'), (start_time_unix_nano, span_id),
             kind = 'llm') AS previous_response_id,
    argMaxIf(response_id, (start_time_unix_nano, span_id), kind = 'llm') AS last_response_id,
    argMinIf(input_messages, (start_time_unix_nano, span_id), kind = 'llm') AS first_input,
    argMaxIf(input_messages, (start_time_unix_nano, span_id), kind = 'llm') AS last_input,
    argMaxIf(output_messages, (start_time_unix_nano, span_id), kind = 'llm') AS last_output,
    toString(minIf(start_time_unix_nano, kind = 'llm')) AS first_start_ns,
    toString(max(end_time_unix_nano)) AS last_end_ns
FROM resolved_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
GROUP BY trace_id
