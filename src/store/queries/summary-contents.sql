-- The contents (src/store/content-refs.ts) of the given traces that a summary reads (read-summary-input.ts): user
-- messages (the first one's content is hashed into the task id) and the messages of model calls' outputs (tool
-- calls are counted from them), one text per hash as in trace-contents.sql. System prompts, tool results and tool
-- definitions, most of a trace's content, stay in ClickHouse.
SELECT trace_id, hash, any(text) AS text
FROM contents
WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
  AND (JSONExtractString(contents.text, 'role') = 'user'
       OR (trace_id, hash) IN (SELECT trace_id, arrayJoin(output_message_refs)
                               FROM spans
                               WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
                                 AND kind = 'llm'))
GROUP BY trace_id, hash
