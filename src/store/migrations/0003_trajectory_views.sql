-- The trajectory views: parameterized views over `spans`, `events`, `feedback` and `air_rules`. Every view takes
-- the tenant and the trace ids to assemble (`trace_ids=[]` means every trace of the tenant: fine for ad-hoc
-- analytics, never used by the API), so answering for one trajectory reads only its trace's rows through the
-- (tenant, trace_id) sort key. Users query them directly:
--   SELECT * FROM trajectories(tenant='default', trace_ids=['<trace id>'], quiet_seconds=60);
-- docs/trajectories.md documents the columns and the rules these views implement.

-- Every span of the given traces with the trajectory it belongs to. A span belongs to its nearest `agent` span
-- (itself when it is one), so nested agents form child trajectories and each span is in exactly one trajectory.
-- Spans outside every agent subtree (a wrapping HTTP span, a reward span emitted beside the agent) join the
-- trace's first outermost agent; a trace without agent spans is one trajectory. Agent Lightning rollout/attempt
-- ids override the structure: the whole rollout is one trajectory. The ancestor walk uses only spans already
-- stored, so a child that arrives before its parent is re-assigned on the next read once the parent is in.
CREATE OR REPLACE VIEW trajectory_spans {{on_cluster}} AS
SELECT
    * EXCEPT (trace_span_ids, trace_parent_ids, trace_kinds, ancestors, agent_ancestors, first_outer_agent,
              trace_rollout_id, trace_attempt_id, own_rollout_id, own_attempt_id, trajectory_agent),
    multiIf(own_rollout_id != '',
                concat('al-', replaceAll(encodeURLComponent(own_rollout_id), '.', '%2E'),
                       if(own_attempt_id != '', concat('.', replaceAll(encodeURLComponent(own_attempt_id), '.', '%2E')), '')),
            trajectory_agent != '', concat(trace_id, '-', trajectory_agent),
            trace_id) AS trajectory_id,
    if(own_rollout_id = '' AND length(agent_ancestors) >= 2, concat(trace_id, '-', agent_ancestors[2]), '') AS parent_trajectory_id,
    multiIf(own_rollout_id != '', trajectory_id,
            length(agent_ancestors) > 0, concat(trace_id, '-', agent_ancestors[-1]),
            trajectory_id) AS root_trajectory_id,
    -- The agent span that roots the trajectory; '' for whole-trace and Agent Lightning trajectories, whose root
    -- is their parentless span.
    if(own_rollout_id = '', trajectory_agent, '') AS trajectory_agent_span_id,
    multiIf(trace_rollout_id != '',
                concat('al-', replaceAll(encodeURLComponent(trace_rollout_id), '.', '%2E'),
                       if(trace_attempt_id != '', concat('.', replaceAll(encodeURLComponent(trace_attempt_id), '.', '%2E')), '')),
            first_outer_agent != '', concat(trace_id, '-', first_outer_agent),
            trace_id) AS trace_default_trajectory_id
FROM
(
    SELECT
        *,
        argMinIf(span_id, (start_time_unix_nano, span_id), kind = 'agent' AND length(agent_ancestors) = 1)
            OVER (PARTITION BY tenant, trace_id) AS first_outer_agent,
        if(rollout_id != '', rollout_id, trace_rollout_id) AS own_rollout_id,
        if(rollout_id != '', attempt_id, trace_attempt_id) AS own_attempt_id,
        if(length(agent_ancestors) > 0, agent_ancestors[1], first_outer_agent) AS trajectory_agent
    FROM
    (
        SELECT
            *,
            -- Self, parent, grandparent, ... as far as stored spans go; capped at 64 levels so that a parent
            -- cycle from a buggy emitter cannot loop.
            arrayFold((chain, step) -> if(
                    mapContains(parent_of, chain[-1]) AND parent_of[chain[-1]] != ''
                        AND mapContains(parent_of, parent_of[chain[-1]]) AND NOT has(chain, parent_of[chain[-1]]),
                    arrayPushBack(chain, parent_of[chain[-1]]), chain),
                range(64), [span_id]) AS ancestors,
            arrayFilter(ancestor -> kind_of[ancestor] = 'agent', ancestors) AS agent_ancestors
        FROM
        (
            SELECT
                tenant, trace_id, span_id, parent_span_id, name, kind, status, status_message,
                start_time_unix_nano, end_time_unix_nano, ingested_at, operation, provider, model, finish_reasons,
                input_tokens, output_tokens, input_messages, output_messages, tool_definitions,
                tool_name, tool_call_id, tool_arguments, tool_result, agent_name, agent_id, conversation_id,
                task_id, task, rollout_id, attempt_id, rewards, events,
                groupArray(span_id) OVER trace AS trace_span_ids,
                groupArray(parent_span_id) OVER trace AS trace_parent_ids,
                groupArray(kind) OVER trace AS trace_kinds,
                mapFromArrays(trace_span_ids, trace_parent_ids) AS parent_of,
                mapFromArrays(trace_span_ids, trace_kinds) AS kind_of,
                max(rollout_id) OVER trace AS trace_rollout_id,
                max(attempt_id) OVER trace AS trace_attempt_id
            FROM spans FINAL
            WHERE tenant = {tenant:String}
              AND (empty({trace_ids:Array(String)}) OR has({trace_ids:Array(String)}, trace_id))
            WINDOW trace AS (PARTITION BY tenant, trace_id)
        )
    )
);

-- One row per LLM call of each trajectory, in start order (`index` from 0). Tool executions answer a call by
-- tool call id anywhere in the trajectory; calls without an id (or whose id no tool span carries) take the tool
-- spans that started between this call and the next one and carry no id another call claims, in order. Tool
-- spans left over in that window (a convention that recorded no output message) are listed as executions of
-- this turn too. A call nothing answered has status 'missing'.
-- new_messages: the input messages after the longest prefix this turn shares with what an earlier turn of the
-- trajectory already showed (its input plus its output), compared on role, content, tool call ids and
-- tool_call_id, so exporters can rebuild one conversation without repeating the prompt of every call.
CREATE OR REPLACE VIEW turns {{on_cluster}} AS
SELECT
    tenant, trace_id, trajectory_id, index, span_id, model, provider, status, status_message,
    input_messages,
    concat('[', arrayStringConcat(arraySlice(input_array, shown_prefix + 1), ','), ']') AS new_messages,
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
        arrayConcat(
            arrayMap((call, answer) -> (call.2, call.1, call.3,
                     if(answer = 0, NULL, toNullable(tool_spans[answer].6)),
                     if(answer = 0, 'missing', tool_spans[answer].7),
                     if(answer = 0, '', tool_spans[answer].2)), calls, answered_by),
            arrayMap(tool -> (tool.4, tool.3, tool.5, toNullable(tool.6), tool.7, tool.2),
                     arraySlice(positional_pool, arrayCount(found -> found = 0, answered_by_id) + 1))
        ) AS raw_executions,
        arrayMap(execution -> CAST((execution.1, execution.2, execution.3, execution.4, execution.5, execution.6,
                     multiIf(execution.5 = 'missing', 'tool_unanswered', execution.5 = 'error', 'tool_failed', 'tool_succeeded'),
                     multiIf(execution.5 = 'missing', air_tool_unanswered, execution.5 = 'error', air_tool_failed, air_tool_succeeded)),
                 'Tuple(name String, call_id String, arguments String, result Nullable(String), status String, span_id String, air_rule String, air_reward Float64)'),
                 raw_executions) AS executions,
        if(status = 'error', air_llm_failed, 0) AS llm_air_reward
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
                         multiIf(JSONType(message, 'content') = 'String', JSONExtractString(message, 'content'),
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
            toFloat64(argMaxIf(reward, updated_at, rule = 'tool_unanswered')) AS air_tool_unanswered
        FROM air_rules
    ) AS air
);

-- AIR intermediate rewards, one row per rule that fired: the LLM call's own failure and each tool execution of
-- the turn, valued by the `air_rules` table.
CREATE OR REPLACE VIEW air_rewards {{on_cluster}} AS
SELECT tenant, trace_id, trajectory_id, index AS turn_index, span_id AS turn_span_id,
       fired.1 AS rule, fired.2 AS reward, fired.3 AS reward_span_id, fired.4 AS call_id
FROM turns(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
ARRAY JOIN arrayConcat(
    if(status = 'error', [('llm_failed', llm_air_reward, turns.span_id, '')], []),
    arrayMap(execution -> (execution.air_rule, execution.air_reward, execution.span_id, execution.call_id), tool_calls)
) AS fired;

-- Every reward with its source: reward spans (Agent Lightning annotations; `dimension` 0 is the primary reward),
-- `gen_ai.evaluation.result` events (span events and log records; a log record whose span is unknown joins the
-- trace's default trajectory) and feedback posted to the API.
CREATE OR REPLACE VIEW rewards {{on_cluster}} AS
SELECT * FROM
(
    -- Reward spans and evaluation span events in one pass over the spans (each use of trajectory_spans is
    -- planned separately, so the view reads it as few times as it can).
    SELECT tenant, trace_id, trajectory_id, root_trajectory_id, found.1 AS name, found.2 AS value, found.3 AS source,
           found.4 AS comment, span_id, found.5 AS time_unix_nano, found.6 AS dimension
    FROM trajectory_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
    ARRAY JOIN arrayConcat(
        if(kind = 'reward',
           arrayMap((reward, position) -> (reward.1, reward.2, 'span', '', end_time_unix_nano, toUInt32(position - 1)),
                    rewards, arrayEnumerate(rewards)),
           []),
        arrayMap(event -> (JSONExtractString(event, 'attributes', 'gen_ai.evaluation.name'),
                           JSONExtractFloat(event, 'attributes', 'gen_ai.evaluation.score.value'), 'evaluation',
                           JSONExtractString(event, 'attributes', 'gen_ai.evaluation.explanation'),
                           toUInt64OrZero(JSONExtractString(event, 'time_unix_nano')), toUInt32(0)),
                 arrayFilter(event -> JSONExtractString(event, 'name') = 'gen_ai.evaluation.result'
                                      AND JSONHas(event, 'attributes', 'gen_ai.evaluation.score.value'),
                             JSONExtractArrayRaw(events)))
    ) AS found

    UNION ALL

    -- Evaluation results sent as log records: the trajectory of their span, else the trace's default one.
    SELECT evaluation.tenant AS tenant, evaluation.trace_id AS trace_id,
           if(mapContains(located.span_trajectory, evaluation.span_id), located.span_trajectory[evaluation.span_id],
              located.default_trajectory) AS trajectory_id,
           if(mapContains(located.span_root, evaluation.span_id), located.span_root[evaluation.span_id],
              located.default_trajectory) AS root_trajectory_id,
           evaluation.evaluation_name AS name, assumeNotNull(evaluation.evaluation_score) AS value,
           'evaluation' AS source, evaluation.evaluation_explanation AS comment,
           evaluation.span_id AS span_id, evaluation.time_unix_nano AS time_unix_nano, toUInt32(0) AS dimension
    FROM
    (
        SELECT * FROM events FINAL
        WHERE tenant = {tenant:String}
          AND (empty({trace_ids:Array(String)}) OR has({trace_ids:Array(String)}, trace_id))
          AND event_name = 'gen_ai.evaluation.result' AND evaluation_score IS NOT NULL
    ) AS evaluation
    INNER JOIN
    (
        SELECT trace_id,
               mapFromArrays(groupArray(span_id), groupArray(trajectory_id)) AS span_trajectory,
               mapFromArrays(groupArray(span_id), groupArray(root_trajectory_id)) AS span_root,
               any(trace_default_trajectory_id) AS default_trajectory
        FROM trajectory_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        GROUP BY trace_id
    ) AS located ON located.trace_id = evaluation.trace_id

    UNION ALL

    SELECT tenant, trace_id, trajectory_id, '' AS root_trajectory_id, name, value, 'feedback' AS source, comment,
           '' AS span_id, time_unix_nano, toUInt32(0) AS dimension
    FROM feedback FINAL
    WHERE tenant = {tenant:String}
      AND (empty({trace_ids:Array(String)}) OR has({trace_ids:Array(String)}, trace_id))
);

-- One row per trajectory. Final reward, one rule: the latest feedback posted for the trajectory; else the latest
-- primary reward span in the trajectory, else in its root trajectory (child agents inherit the episode reward);
-- else the latest evaluation result, same fallback; else NULL. Outcome: success when the final reward is > 0,
-- failure when it is <= 0 or (without a reward) the root span failed, unknown otherwise. Complete: the root span
-- is stored (spans are exported when they end) and no span of the trajectory arrived for `quiet_seconds`.
CREATE OR REPLACE VIEW trajectories {{on_cluster}} AS
WITH
    base AS
    (
        SELECT
            tenant,
            trajectory_id AS id,
            any(trace_id) AS trace_id,
            any(parent_trajectory_id) AS parent_trajectory_id,
            any(root_trajectory_id) AS root_trajectory_id,
            any(trajectory_agent_span_id) AS agent_span_id,
            if(agent_span_id != '', agent_span_id,
               argMinIf(span_id, (start_time_unix_nano, span_id), parent_span_id = '')) AS root_span_id,
            if(agent_span_id != '', 1, countIf(parent_span_id = '') > 0) AS has_root,
            argMinIf(agent_name, (NOT is_root_span, start_time_unix_nano), agent_name != '') AS trajectory_agent_name,
            argMinIf(agent_id, (NOT is_root_span, start_time_unix_nano), agent_id != '') AS trajectory_agent_id,
            argMinIf(task, (NOT is_root_span, start_time_unix_nano), task != '') AS trajectory_task,
            argMinIf(task_id, (NOT is_root_span, start_time_unix_nano), task_id != '') AS explicit_task_id,
            argMinIf(conversation_id, start_time_unix_nano, conversation_id != '') AS trajectory_conversation_id,
            argMinIf(rollout_id, start_time_unix_nano, rollout_id != '') AS trajectory_rollout_id,
            argMinIf(attempt_id, start_time_unix_nano, rollout_id != '') AS trajectory_attempt_id,
            min(start_time_unix_nano) AS first_start_ns,
            max(end_time_unix_nano) AS last_end_ns,
            countIf(status = 'error') AS error_count,
            sumIf(ifNull(input_tokens, 0), kind = 'llm') AS input_token_total,
            sumIf(ifNull(output_tokens, 0), kind = 'llm') AS output_token_total,
            anyIf(status, is_root_span) AS root_status,
            max(ingested_at) AS last_ingested_at
        FROM
        (
            SELECT *, span_id = trajectory_agent_span_id OR (trajectory_agent_span_id = '' AND parent_span_id = '') AS is_root_span
            FROM trajectory_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        )
        GROUP BY tenant, trajectory_id
    ),
    turn_totals AS
    (
        SELECT trajectory_id, count() AS turn_count, sum(length(tool_calls)) AS tool_call_count,
               argMin(first_user_hash, index) AS first_user_hash
        FROM turns(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        GROUP BY trajectory_id
    ),
    reward_totals AS
    (
        SELECT trajectory_id,
               countIf(source = 'feedback') AS feedback_count,
               argMaxIf(value, (time_unix_nano, span_id, name), source = 'feedback') AS feedback_value,
               countIf(source = 'span' AND dimension = 0) AS span_count,
               argMaxIf(value, (time_unix_nano, span_id), source = 'span' AND dimension = 0) AS span_value,
               countIf(source = 'evaluation') AS evaluation_count,
               argMaxIf(value, (time_unix_nano, span_id, name), source = 'evaluation') AS evaluation_value
        FROM rewards(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        GROUP BY trajectory_id
    )
SELECT
    base.id AS id,
    base.tenant AS tenant,
    base.trace_id AS trace_id,
    base.root_span_id AS root_span_id,
    base.parent_trajectory_id AS parent_trajectory_id,
    base.root_trajectory_id AS root_trajectory_id,
    base.trajectory_agent_name AS agent_name,
    base.trajectory_agent_id AS agent_id,
    base.trajectory_task AS task,
    multiIf(base.explicit_task_id != '', base.explicit_task_id, turn_totals.first_user_hash != '', turn_totals.first_user_hash,
            base.trajectory_task != '', concat('task:', left(lower(hex(SHA256(base.trajectory_task))), 16)), '') AS task_id,
    base.trajectory_conversation_id AS conversation_id,
    base.trajectory_rollout_id AS rollout_id,
    base.trajectory_attempt_id AS attempt_id,
    toString(base.first_start_ns) AS start_time_unix_nano,
    toString(base.last_end_ns) AS end_time_unix_nano,
    base.first_start_ns AS start_ns,
    if(base.last_end_ns > base.first_start_ns, (base.last_end_ns - base.first_start_ns) / 1e6, 0) AS duration_ms,
    toUInt32(turn_totals.turn_count) AS turn_count,
    toUInt32(turn_totals.tool_call_count) AS tool_call_count,
    toUInt32(base.error_count) AS error_count,
    base.input_token_total AS input_tokens,
    base.output_token_total AS output_tokens,
    multiIf(base.feedback_count > 0, toNullable(base.feedback_value),
            base.span_count > 0, toNullable(base.span_value),
            root_span_count > 0, toNullable(root_span_value),
            base.evaluation_count > 0, toNullable(base.evaluation_value),
            root_evaluation_count > 0, toNullable(root_evaluation_value),
            NULL) AS final_reward,
    multiIf(base.feedback_count > 0, 'feedback', base.span_count > 0 OR root_span_count > 0, 'span',
            base.evaluation_count > 0 OR root_evaluation_count > 0, 'evaluation', '') AS final_reward_source,
    multiIf(final_reward IS NOT NULL AND final_reward > 0, 'success',
            final_reward IS NOT NULL, 'failure',
            base.root_status = 'error', 'failure', 'unknown') AS outcome,
    base.has_root = 1
        AND base.last_ingested_at <= now64(3) - toIntervalMillisecond(toInt64({quiet_seconds:Float64} * 1000)) AS complete,
    base.last_ingested_at AS last_ingested_at
FROM
(
    -- A child trajectory inherits the reward spans and evaluations of its root trajectory, which is in the same
    -- trace: a window over the root picks the root's own totals without joining the rewards a second time.
    SELECT
        *,
        anyIf(own.span_count, base.id = base.root_trajectory_id) OVER root_window AS root_span_count,
        anyIf(own.span_value, base.id = base.root_trajectory_id) OVER root_window AS root_span_value,
        anyIf(own.evaluation_count, base.id = base.root_trajectory_id) OVER root_window AS root_evaluation_count,
        anyIf(own.evaluation_value, base.id = base.root_trajectory_id) OVER root_window AS root_evaluation_value
    FROM base
    LEFT JOIN reward_totals AS own ON own.trajectory_id = base.id
    WINDOW root_window AS (PARTITION BY base.root_trajectory_id)
) AS base
LEFT JOIN turn_totals ON turn_totals.trajectory_id = base.id;

-- Credit per LLM call. With T turns, final reward R, AIR rewards a_k and gamma:
--   identical   = R                                   (LightningRL: every call gets the final reward)
--   discounted  = gamma^(T-1-t) * R
--   air_shaped  = sum_{k>=t} gamma^(k-t) * a_k + gamma^(T-1-t) * R
--   advantage   = (R - mean) / std over the complete trajectories with a final reward and the same task_id among
--                 `group_trace_ids` ([] = all traces of the tenant); population std; 0 for a group of one or a
--                 std below 1e-12; NULL when this trajectory is incomplete or has no final reward.
-- All are NULL without a final reward.
CREATE OR REPLACE VIEW credit {{on_cluster}} AS
WITH
    trajectory AS
    (
        SELECT id, tenant, trace_id, task_id, final_reward, complete
        FROM trajectories(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, quiet_seconds = {quiet_seconds:Float64})
    ),
    task_group AS
    (
        SELECT task_id, count() AS members, avg(assumeNotNull(final_reward)) AS mean, stddevPop(assumeNotNull(final_reward)) AS std
        FROM trajectories(tenant = {tenant:String}, trace_ids = {group_trace_ids:Array(String)}, quiet_seconds = {quiet_seconds:Float64})
        WHERE complete AND final_reward IS NOT NULL AND task_id != ''
        GROUP BY task_id
    ),
    turn_rewards AS
    (
        SELECT trajectory_id,
               arraySort(turn -> turn.1, groupArray((index, span_id, air_reward))) AS ordered,
               -- Discounted suffix sums of the AIR rewards, built from the last turn backwards.
               arrayReverse(arrayFold((sums, reward) -> arrayPushBack(sums, toFloat64(ifNull(reward, 0)) + {gamma:Float64} * if(empty(sums), 0, sums[-1])),
                                      arrayReverse(arrayMap(turn -> turn.3, ordered)), CAST([], 'Array(Float64)'))) AS air_returns
        FROM turns(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        GROUP BY trajectory_id
    )
SELECT
    trajectory.tenant AS tenant,
    trajectory.trace_id AS trace_id,
    trajectory.id AS trajectory_id,
    trajectory.task_id AS task_id,
    turn.1 AS turn_index,
    turn.2 AS span_id,
    turn.3 AS air_reward,
    trajectory.final_reward AS final_reward,
    trajectory.final_reward AS identical,
    pow({gamma:Float64}, length(turn_rewards.ordered) - 1 - turn.1) * trajectory.final_reward AS discounted,
    air_returns_element + discounted AS air_shaped,
    if(trajectory.complete AND trajectory.final_reward IS NOT NULL,
       multiIf(task_group.members <= 1, 0, task_group.std < 1e-12, 0,
               (assumeNotNull(trajectory.final_reward) - task_group.mean) / task_group.std),
       NULL) AS advantage,
    task_group.members AS group_size,
    task_group.mean AS group_mean,
    task_group.std AS group_std
FROM trajectory
INNER JOIN turn_rewards ON turn_rewards.trajectory_id = trajectory.id
LEFT JOIN task_group ON task_group.task_id = trajectory.task_id
ARRAY JOIN turn_rewards.ordered AS turn, turn_rewards.air_returns AS air_returns_element;
