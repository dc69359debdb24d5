-- The `resolved_spans` view: `spans` (FINAL) with the content that is stored once per trace put back, so every
-- reader sees the message lists, tool definitions and attributes exactly as if they were inline. Its TypeScript
-- twin is content-refs.ts, which splits values into contents at ingest by the rule this view reverses:
-- - input_messages / output_messages: '[' + the referenced message texts joined by ',' + ']' (a content ClickHouse
--   refused, and so dead-lettered, is left out, as trace-contents.ts leaves it out);
-- - tool_definitions, tool_result: the referenced text;
-- - attributes: the inline object with each referenced key appended, its value open + pieces joined by separator
--   + close (attribute order aside, the same JSON object; every value byte-identical).
-- Rows written before contents existed, and values kept inline, have empty refs and pass through unchanged.
-- Like the trajectory views it takes the tenant and the trace ids (`trace_ids=[]` means every trace of the
-- tenant), and reads only those traces through the (tenant, trace_id) sort keys of both tables:
--   SELECT span_id, input_messages FROM resolved_spans(tenant='default', trace_ids=['<trace id>']);
-- Re-applied on every start (src/store/derived-definitions.ts).
CREATE OR REPLACE VIEW resolved_spans {{on_cluster}} AS
SELECT
    spans.* EXCEPT (input_messages, output_messages, tool_definitions, tool_result, attributes, input_message_refs,
                    output_message_refs, tool_definitions_ref, tool_result_ref, attribute_refs),
    spans.ingested_at AS ingested_at,
    spans.duration_ns AS duration_ns,
    if(empty(input_message_refs), spans.input_messages,
       concat('[', arrayStringConcat(arrayMap(ref -> span_texts.texts[ref],
                                                 arrayFilter(ref -> mapContains(span_texts.texts, ref), input_message_refs)), ','), ']'))
        AS input_messages,
    if(empty(output_message_refs), spans.output_messages,
       concat('[', arrayStringConcat(arrayMap(ref -> span_texts.texts[ref],
                                                 arrayFilter(ref -> mapContains(span_texts.texts, ref), output_message_refs)), ','), ']'))
        AS output_messages,
    if(tool_definitions_ref = '', spans.tool_definitions, span_texts.texts[toFixedString(tool_definitions_ref, 16)])
        AS tool_definitions,
    if(tool_result_ref = '', spans.tool_result, span_texts.texts[toFixedString(tool_result_ref, 16)]) AS tool_result,
    if(empty(attribute_refs), spans.attributes,
       concat(
           substring(spans.attributes, 1, length(spans.attributes) - 1),
           if(spans.attributes = '{}', '', ','),
           arrayStringConcat(
               arrayMap(attribute -> concat(
                   toJSONString(attribute.key), ':',
                   -- arrayStringConcat takes only a constant separator: each piece after the first carries it.
                   toJSONString(concat(attribute.open,
                                       arrayStringConcat(arrayMap(
                                           (ref, position) -> if(position = 1, span_texts.texts[ref],
                                                                 concat(attribute.separator, span_texts.texts[ref])),
                                           attribute.refs, arrayEnumerate(attribute.refs))),
                                       attribute.close))),
                   attribute_refs),
               ','),
           '}'))
        AS attributes
FROM spans FINAL
LEFT JOIN
(
    -- Per span, the texts of only the contents it refers to: a map per span, not per trace, so a read holds what
    -- it returns and no more (a trace's whole contents beside each of its spans would grow with the square of an
    -- agent loop's length).
    SELECT used.trace_id AS trace_id, used.span_id AS span_id,
           mapFromArrays(groupArray(used.ref), groupArray(stored.stored_text)) AS texts
    FROM
    (
        -- Without FINAL: a retried copy of a span refers to the same contents, and a duplicate key is harmless.
        SELECT trace_id, span_id,
               arrayJoin(arrayDistinct(arrayConcat(
                   input_message_refs, output_message_refs,
                   if(tool_definitions_ref = '', [], [toFixedString(tool_definitions_ref, 16)]),
                   if(tool_result_ref = '', [], [toFixedString(tool_result_ref, 16)]),
                   arrayFlatten(arrayMap(attribute -> attribute.refs, attribute_refs))))) AS ref
        FROM spans
        WHERE tenant = {tenant:String}
          AND (empty({trace_ids:Array(String)}) OR has({trace_ids:Array(String)}, trace_id))
    ) AS used
    INNER JOIN
    (
        -- One text per hash: copies left by retries (before merges) hold the same text.
        SELECT trace_id, hash, any(text) AS stored_text
        FROM contents
        WHERE tenant = {tenant:String}
          AND (empty({trace_ids:Array(String)}) OR has({trace_ids:Array(String)}, trace_id))
        GROUP BY trace_id, hash
    ) AS stored ON stored.trace_id = used.trace_id AND stored.hash = used.ref
    GROUP BY used.trace_id, used.span_id
) AS span_texts ON span_texts.trace_id = spans.trace_id AND span_texts.span_id = spans.span_id
WHERE spans.tenant = {tenant:String}
  AND (empty({trace_ids:Array(String)}) OR has({trace_ids:Array(String)}, spans.trace_id));
