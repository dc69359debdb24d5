-- The `turns` view. Its TypeScript twin is assemble-turns.ts; re-applied on every start.
--
-- One row per LLM call of each trajectory, in start order (`index` from 0). Tool executions answer a call by
-- tool call id anywhere in the trajectory; calls without an id (or whose id no tool span carries) take the tool
-- spans that started between this call and the next one and carry no id another call claims, in order. Tool
-- spans left over in that window (a convention that recorded no output message) are listed as executions of
-- this turn too. A call no tool span answered takes its result from the `tool` messages of later calls'
-- new_messages (most instrumentations trace only the model calls; the agent's own code runs the tools): by call
-- id, the first later message with that id; without an id, the id-less tool messages of the next call, in order.
-- Its status comes from the message's `is_error` (error / ok), else 'unknown'; result_source says which answered
-- ('tool_span', 'message'). A call nothing answered by the end of the trajectory has status 'missing'.
-- new_messages: the input messages after the longest prefix this turn shares with what an earlier turn of the
-- trajectory already showed (its input plus its output), compared on role, content, tool call ids and
-- tool_call_id (system and developer messages on role alone: an agent that rebuilds its system prompt every call
-- must not make its whole history look new), so exporters can rebuild one conversation without repeating the
-- prompt of every call.
CREATE OR REPLACE VIEW turns {{on_cluster}} AS
SELECT
    tenant, trace_id, trajectory_id, index, span_id, model, provider, status, status_message,
    input_messages,
    concat('[', arrayStringConcat(new_array, ','), ']') AS new_messages,
    output_message,
    if(output_message != '', JSONExtractString(output_message, 'finish_reason'), '') AS finish_reason,
    finish_reasons,
    executions AS tool_calls,
    input_tokens, output_tokens,
    (end_time_unix_nano - start_time_unix_nano) / 1e6 AS latency_ms,
    start_time_unix_nano, end_time_unix_nano,
    llm_air_reward,
    llm_air_reward + arraySum(execution -> execution.air_reward, executions) AS air_reward,
    tool_definitions,
    first_user_hash
FROM
(
    SELECT
        *,
        arrayFlatten(later_tool_messages) AS later_answers,
        arrayFilter(message -> message.1 = '', later_tool_messages[1]) AS next_id_less,
        -- The rank of each id-less call among the id-less calls no tool span answered.
        arrayCumSum(arrayMap((call, answer) -> toUInt32(answer = 0 AND call.1 = ''), calls, answered_by)) AS id_less_rank,
        arrayMap((call, answer, rank) -> multiIf(
                     answer > 0, (0, '', ''),
                     call.1 != '' AND arrayFirstIndex(message -> message.1 = call.1, later_answers) > 0,
                     (1, later_answers[arrayFirstIndex(message -> message.1 = call.1, later_answers)].2,
                         later_answers[arrayFirstIndex(message -> message.1 = call.1, later_answers)].3),
                     call.1 = '' AND rank <= length(next_id_less), (1, next_id_less[rank].2, next_id_less[rank].3),
                     (0, '', '')),
                 calls, answered_by, id_less_rank) AS message_answers,
        arrayConcat(
            arrayMap((call, answer, message) -> (call.2, call.1, call.3,
                     multiIf(answer > 0, toNullable(tool_spans[answer].6), message.1 = 1, toNullable(message.2), NULL),
                     multiIf(answer > 0, tool_spans[answer].7, message.1 = 1, message.3, 'missing'),
                     multiIf(answer > 0, 'tool_span', message.1 = 1, 'message', 'none'),
                     if(answer = 0, '', tool_spans[answer].2)), calls, answered_by, message_answers),
            arrayMap(tool -> (tool.4, tool.3, tool.5, toNullable(tool.6), tool.7, 'tool_span', tool.2),
                     arraySlice(positional_pool, arrayCount(found -> found = 0, answered_by_id) + 1))
        ) AS raw_executions,
        arrayMap(execution -> CAST((execution.1, execution.2, execution.3, execution.4, execution.5, execution.6, execution.7,
                     multiIf(execution.5 = 'missing', 'tool_unanswered', execution.5 = 'error', 'tool_failed',
                             execution.5 = 'unknown', 'tool_answered_status_unknown', 'tool_succeeded'),
                     multiIf(execution.5 = 'missing', air_tool_unanswered, execution.5 = 'error', air_tool_failed,
                             execution.5 = 'unknown', air_tool_answered_status_unknown, air_tool_succeeded)),
                 'Tuple(name String, call_id String, arguments String, result Nullable(String), status String, result_source String, span_id String, air_rule String, air_reward Float64)'),
                 raw_executions) AS executions,
        if(status = 'error', air_llm_failed, 0) AS llm_air_reward
    FROM
    (
        SELECT
            *,
            groupArray(new_tool_messages) OVER (PARTITION BY trajectory_id ORDER BY index
                                                ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS later_tool_messages
        FROM
(
    SELECT
        *,
        arrayMax(arrayPushBack(arrayMap(previous -> toInt64(if(
                arrayFirstIndex(position -> input_keys[position] != previous[position], arrayEnumerate(input_keys)) AS differs = 0,
                toInt64(length(input_keys)), toInt64(differs) - 1)), earlier_shown), toInt64(0))) AS shown_prefix,
        arrayMap(tool_call -> (JSONExtractString(tool_call, 'id'), JSONExtractString(tool_call, 'function', 'name'),
                               JSONExtractString(tool_call, 'function', 'arguments')),
                 JSONExtractArrayRaw(output_message, 'tool_calls')) AS calls,
        -- The first tool span with the call's id that started with or after this call (ids can repeat across
        -- turns when a server numbers calls per response), else the first with that id.
        arrayMap(call -> multiIf(call.1 = '', 0,
                 arrayFirstIndex(tool -> tool.3 = call.1 AND tool.1 >= start_time_unix_nano, tool_spans) > 0,
                 arrayFirstIndex(tool -> tool.3 = call.1 AND tool.1 >= start_time_unix_nano, tool_spans),
                 arrayFirstIndex(tool -> tool.3 = call.1, tool_spans)), calls) AS answered_by_id,
        arrayFilter(tool -> tool.1 >= start_time_unix_nano AND tool.1 < next_start_time_unix_nano
                            AND (tool.3 = '' OR NOT has(trajectory_call_ids, tool.3)), tool_spans) AS positional_pool,
        arrayCumSum(arrayMap(found -> toUInt32(found = 0), answered_by_id)) AS positional_rank,
        arrayMap((found, rank) -> if(found > 0, found,
                 if(rank <= length(positional_pool), indexOf(tool_spans, positional_pool[rank]), 0)),
                 answered_by_id, positional_rank) AS answered_by,
        arraySlice(input_array, shown_prefix + 1) AS new_array,
        -- The tool messages this call shows for the first time, as possible answers to earlier calls.
        arrayMap(message -> (JSONExtractString(message, 'tool_call_id'),
                             if(JSONType(message, 'content') = 'String', JSONExtractString(message, 'content'),
                                JSONExtractRaw(message, 'content')),
                             multiIf(JSONType(message, 'is_error') = 'Bool',
                                     if(JSONExtractBool(message, 'is_error'), 'error', 'ok'), 'unknown')),
                 arrayFilter(message -> JSONExtractString(message, 'role') = 'tool', new_array)) AS new_tool_messages
    FROM
    (
        SELECT
            *,
            groupArray(shown_keys) OVER (PARTITION BY trajectory_id ORDER BY index ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_shown
        FROM
        (
            SELECT
                tenant, trace_id, trajectory_id, span_id, model, provider, status, status_message,
                start_time_unix_nano, end_time_unix_nano, input_tokens, output_tokens, tool_definitions, finish_reasons,
                input_messages,
                JSONExtractArrayRaw(input_messages) AS input_array,
                JSONExtractArrayRaw(output_messages) AS output_array,
                if(arrayExists(message -> JSONExtractString(message, 'role') = 'assistant', output_array),
                   arrayFirst(message -> JSONExtractString(message, 'role') = 'assistant', output_array), output_array[1]) AS output_message,
                arrayMap(message -> concat(JSONExtractString(message, 'role'), '\x1f',
                         multiIf(JSONExtractString(message, 'role') IN ('system', 'developer'), '',
                                 JSONType(message, 'content') = 'String', JSONExtractString(message, 'content'),
                                 JSONType(message, 'content') = 'Array', JSONExtractRaw(message, 'content'), ''), '\x1f',
                         arrayStringConcat(arrayMap(tool_call -> JSONExtractString(tool_call, 'id'), JSONExtractArrayRaw(message, 'tool_calls')), ','), '\x1f',
                         JSONExtractString(message, 'tool_call_id')),
                         arrayPushBack(input_array, output_message)) AS all_keys,
                arraySlice(all_keys, 1, length(input_array)) AS input_keys,
                if(output_message != '', all_keys, input_keys) AS shown_keys,
                arrayFirst(message -> JSONExtractString(message, 'role') = 'user', input_array) AS first_user_message,
                if(first_user_message = '', '', concat('msg:', left(lower(hex(SHA256(
                    if(JSONType(first_user_message, 'content') = 'String', JSONExtractString(first_user_message, 'content'),
                       JSONExtractRaw(first_user_message, 'content'))))), 16))) AS first_user_hash,
                toUInt32(row_number() OVER ordered - 1) AS index,
                leadInFrame(start_time_unix_nano, 1, toUInt64(18446744073709551615)) OVER ordered AS next_start_time_unix_nano,
                groupArrayArray(arrayMap(tool_call -> JSONExtractString(tool_call, 'id'), JSONExtractArrayRaw(output_message, 'tool_calls')))
                    OVER ordered AS trajectory_call_ids
            FROM trajectory_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
            WHERE kind = 'llm'
            WINDOW ordered AS (PARTITION BY trajectory_id ORDER BY start_time_unix_nano, span_id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        )
    ) AS llm
    LEFT JOIN
    (
        SELECT trajectory_id,
               arraySort(tool -> (tool.1, tool.2), groupArray((start_time_unix_nano, span_id, tool_call_id, tool_name,
                                                                tool_arguments, tool_result, status))) AS tool_spans
        FROM trajectory_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        WHERE kind = 'tool'
        GROUP BY trajectory_id
    ) AS tools USING (trajectory_id)
    -- The AIR rule values as one joined row (scalar subqueries in WITH would be re-evaluated in every nested
    -- subquery of the views built on this one).
    CROSS JOIN
    (
        SELECT
            toFloat64(argMaxIf(reward, updated_at, rule = 'tool_succeeded')) AS air_tool_succeeded,
            toFloat64(argMaxIf(reward, updated_at, rule = 'tool_failed')) AS air_tool_failed,
            toFloat64(argMaxIf(reward, updated_at, rule = 'llm_failed')) AS air_llm_failed,
            toFloat64(argMaxIf(reward, updated_at, rule = 'tool_unanswered')) AS air_tool_unanswered,
            toFloat64(argMaxIf(reward, updated_at, rule = 'tool_answered_status_unknown')) AS air_tool_answered_status_unknown
        FROM air_rules
    ) AS air
)
    )
);
