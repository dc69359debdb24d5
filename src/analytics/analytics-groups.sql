-- Analytics of one tenant's trajectories, grouped: the one query behind GET /v1/analytics/summary, /timeseries and
-- /tools and `trajectories stats` (read-analytics.ts). `by` is '' (one group), 'agent', 'task' (by task id),
-- 'model', 'tool', 'hour' or 'day' (of the trajectory's start, UTC). The trajectories taken are the tenant's listed
-- trajectories that start in [since_ns, until_ns) and match every filter given ('' = any): the agent name, the task
-- (its id or its exact description), a model they called. By model or tool, a group is the trajectories that
-- called that model or tool, so one trajectory can count in several groups.
-- In each group: trajectory counts and rewards over its trajectories; model-call and tool-execution measures over
-- the calls of those trajectories (by model, only the calls to that model; by tool, only that tool's executions;
-- with a model filter, only calls to that model). Percentiles interpolate between the nearest ranks (linear, as
-- numpy's default); cost is NULL when any call's cost is unknown (analytics_model_calls), with the known part
-- beside it. docs/analytics.md gives every field.
WITH
    chosen AS
    (
        SELECT
            summaries.id AS id,
            summaries.start_ns AS start_ns,
            summaries.agent_name AS agent_name,
            summaries.task_id AS task_id,
            summaries.task AS task,
            summaries.turn_count AS turn_count,
            summaries.tool_call_count AS tool_call_count,
            summaries.error_count AS error_count,
            summaries.final_reward AS final_reward,
            summaries.outcome AS outcome,
            used.models AS models,
            used.tools AS tools
        FROM trajectory_summaries AS summaries FINAL
        LEFT JOIN
        (
            SELECT
                trajectory_id,
                groupUniqArrayIf(model, kind = 'llm' AND model != '') AS models,
                groupUniqArrayIf(tool_name, kind = 'tool' AND tool_name != '') AS tools
            FROM trajectory_calls FINAL
            WHERE tenant = {tenant:String}
              AND trajectory_start_ns >= {since_ns:UInt64} AND trajectory_start_ns < {until_ns:UInt64}
            GROUP BY trajectory_id
        ) AS used ON summaries.id = used.trajectory_id
        WHERE summaries.tenant = {tenant:String}
          AND summaries.start_ns >= {since_ns:UInt64} AND summaries.start_ns < {until_ns:UInt64}
          AND ({agent:String} = '' OR summaries.agent_name = {agent:String})
          AND ({task:String} = '' OR summaries.task_id = {task:String} OR summaries.task = {task:String})
          AND ({model:String} = '' OR has(used.models, {model:String}))
    ),
    grouped AS
    (
        SELECT id, group_key
        FROM chosen
        ARRAY JOIN multiIf(
            {by:String} = 'model', models,
            {by:String} = 'tool', tools,
            [multiIf({by:String} = 'agent', agent_name,
                     {by:String} = 'task', task_id,
                     {by:String} = 'hour', formatDateTime(toStartOfHour(fromUnixTimestamp64Nano(toInt64(start_ns))), '%Y-%m-%dT%H:%i:%SZ', 'UTC'),
                     {by:String} = 'day', formatDateTime(toStartOfDay(fromUnixTimestamp64Nano(toInt64(start_ns)), 'UTC'), '%Y-%m-%dT%H:%i:%SZ', 'UTC'),
                     '')]) AS group_key
    ),
    trajectory_measures AS
    (
        SELECT
            grouped.group_key AS group_key,
            -- The task description of a task-id group (the most common one, for display).
            if({by:String} = 'task', topK(1)(chosen.task)[1], '') AS label,
            count() AS trajectories,
            countIf(chosen.outcome = 'success') AS successes,
            countIf(chosen.outcome = 'failure') AS failures,
            countIf(chosen.outcome = 'unknown') AS unknown_outcomes,
            if(successes + failures = 0, NULL, successes / (successes + failures)) AS success_rate,
            countIf(chosen.final_reward IS NOT NULL) AS rewarded,
            if(rewarded = 0, NULL, avgIf(assumeNotNull(chosen.final_reward), chosen.final_reward IS NOT NULL)) AS reward_mean,
            if(rewarded = 0, NULL,
               quantileExactInclusiveIf(0.5)(assumeNotNull(chosen.final_reward), chosen.final_reward IS NOT NULL)) AS reward_median,
            sum(chosen.turn_count) AS turns,
            sum(chosen.tool_call_count) AS tool_calls,
            sum(chosen.error_count) AS errors
        FROM grouped
        INNER JOIN chosen ON grouped.id = chosen.id
        GROUP BY grouped.group_key
    ),
    model_measures AS
    (
        SELECT
            grouped.group_key AS group_key,
            count() AS model_calls,
            countIf(calls.is_error) AS model_call_errors,
            sumMapIf(map(calls.error_type, toUInt64(1)), calls.is_error) AS model_error_types,
            quantilesExactInclusive(0.5, 0.95, 0.99)(calls.latency_ms) AS model_latency_ms,
            sum(ifNull(calls.input_tokens, 0)) AS input_tokens,
            sum(ifNull(calls.output_tokens, 0)) AS output_tokens,
            sum(ifNull(calls.cache_read_tokens, 0)) AS cache_read_tokens,
            sum(ifNull(calls.cache_creation_tokens, 0)) AS cache_creation_tokens,
            sum(ifNull(calls.reasoning_tokens, 0)) AS reasoning_tokens,
            countIf(calls.cost_usd IS NULL) AS unpriced_calls,
            sum(ifNull(calls.cost_usd, 0)) AS priced_cost_usd
        FROM analytics_model_calls AS calls
        INNER JOIN grouped ON calls.trajectory_id = grouped.id
        WHERE calls.tenant = {tenant:String}
          AND calls.trajectory_start >= fromUnixTimestamp64Nano(toInt64({since_ns:UInt64}))
          AND calls.trajectory_start < fromUnixTimestamp64Nano(toInt64(least({until_ns:UInt64}, 9223372036854775807)))
          AND ({by:String} != 'model' OR calls.model = grouped.group_key)
          AND ({model:String} = '' OR calls.model = {model:String})
        GROUP BY grouped.group_key
    ),
    tool_measures AS
    (
        SELECT
            grouped.group_key AS group_key,
            count() AS tool_executions,
            countIf(calls.is_error) AS tool_errors,
            sumMapIf(map(calls.error_type, toUInt64(1)), calls.is_error) AS tool_error_types,
            quantilesExactInclusive(0.5, 0.95, 0.99)(calls.latency_ms) AS tool_latency_ms
        FROM analytics_tool_calls AS calls
        INNER JOIN grouped ON calls.trajectory_id = grouped.id
        WHERE calls.tenant = {tenant:String}
          AND calls.trajectory_start >= fromUnixTimestamp64Nano(toInt64({since_ns:UInt64}))
          AND calls.trajectory_start < fromUnixTimestamp64Nano(toInt64(least({until_ns:UInt64}, 9223372036854775807)))
          AND ({by:String} != 'tool' OR calls.tool_name = grouped.group_key)
        GROUP BY grouped.group_key
    )
SELECT
    trajectory_measures.group_key AS key,
    label,
    trajectories, successes, failures, unknown_outcomes, success_rate,
    rewarded, reward_mean, reward_median,
    turns, tool_calls, errors,
    ifNull(model_measures.model_calls, 0) AS model_calls,
    ifNull(model_measures.model_call_errors, 0) AS model_call_errors,
    model_measures.model_error_types AS model_error_types,
    if(ifNull(model_measures.model_calls, 0) = 0, [], model_measures.model_latency_ms) AS model_latency_ms,
    ifNull(model_measures.input_tokens, 0) AS input_tokens,
    ifNull(model_measures.output_tokens, 0) AS output_tokens,
    ifNull(model_measures.cache_read_tokens, 0) AS cache_read_tokens,
    ifNull(model_measures.cache_creation_tokens, 0) AS cache_creation_tokens,
    ifNull(model_measures.reasoning_tokens, 0) AS reasoning_tokens,
    ifNull(model_measures.unpriced_calls, 0) AS unpriced_calls,
    ifNull(model_measures.priced_cost_usd, 0) AS priced_cost_usd,
    ifNull(tool_measures.tool_executions, 0) AS tool_executions,
    ifNull(tool_measures.tool_errors, 0) AS tool_errors,
    tool_measures.tool_error_types AS tool_error_types,
    if(ifNull(tool_measures.tool_executions, 0) = 0, [], tool_measures.tool_latency_ms) AS tool_latency_ms
FROM trajectory_measures
LEFT JOIN model_measures ON trajectory_measures.group_key = model_measures.group_key
LEFT JOIN tool_measures ON trajectory_measures.group_key = tool_measures.group_key
ORDER BY if({by:String} IN ('hour', 'day'), key, ''), trajectories DESC, key
LIMIT {limit:UInt32}
SETTINGS join_use_nulls = 1
