-- The `analytics_trajectories` view: one row per listed trajectory (`trajectory_summaries`, kept by the
-- summarizer), with the time buckets, the models and tools it used, all five token counts and its cost.
-- Re-applied on every start (src/store/derived-definitions.ts); docs/analytics.md documents every column.
-- cost_usd is NULL when any of its model calls has an unknown cost (analytics_model_calls), never a partial sum;
-- priced_cost_usd is the sum over the calls whose cost is known.
CREATE OR REPLACE VIEW analytics_trajectories {{on_cluster}} AS
SELECT
    summaries.tenant AS tenant,
    summaries.id AS id,
    summaries.trace_id AS trace_id,
    summaries.parent_trajectory_id AS parent_trajectory_id,
    summaries.agent_name AS agent_name,
    summaries.task_id AS task_id,
    summaries.task AS task,
    fromUnixTimestamp64Nano(toInt64(summaries.start_ns)) AS start_time,
    toStartOfHour(start_time) AS hour,
    toStartOfDay(start_time) AS day,
    summaries.duration_ms AS duration_ms,
    summaries.turn_count AS turn_count,
    summaries.tool_call_count AS tool_call_count,
    summaries.error_count AS error_count,
    summaries.final_reward AS final_reward,
    summaries.outcome AS outcome,
    CAST(summaries.outcome = 'success', 'Bool') AS is_success,
    calls.models AS models,
    calls.tools AS tools,
    calls.model_call_count AS model_call_count,
    calls.tool_execution_count AS tool_execution_count,
    calls.tool_error_count AS tool_error_count,
    calls.input_tokens AS input_tokens,
    calls.output_tokens AS output_tokens,
    calls.cache_read_tokens AS cache_read_tokens,
    calls.cache_creation_tokens AS cache_creation_tokens,
    calls.reasoning_tokens AS reasoning_tokens,
    if(calls.unpriced_calls > 0, NULL, calls.priced_cost_usd) AS cost_usd,
    calls.priced_cost_usd AS priced_cost_usd,
    calls.unpriced_calls AS unpriced_calls,
    summaries.start_ns AS start_ns
FROM trajectory_summaries AS summaries FINAL
LEFT JOIN
(
    SELECT
        tenant,
        trajectory_id,
        arraySort(groupUniqArrayIf(model, kind = 'llm' AND model != '')) AS models,
        arraySort(groupUniqArrayIf(tool_name, kind = 'tool' AND tool_name != '')) AS tools,
        countIf(kind = 'llm') AS model_call_count,
        countIf(kind = 'tool') AS tool_execution_count,
        countIf(kind = 'tool' AND status = 'error') AS tool_error_count,
        sumIf(ifNull(input_tokens, 0), kind = 'llm') AS input_tokens,
        sumIf(ifNull(output_tokens, 0), kind = 'llm') AS output_tokens,
        sumIf(ifNull(cache_read_tokens, 0), kind = 'llm') AS cache_read_tokens,
        sumIf(ifNull(cache_creation_tokens, 0), kind = 'llm') AS cache_creation_tokens,
        sumIf(ifNull(reasoning_tokens, 0), kind = 'llm') AS reasoning_tokens,
        sum(ifNull(cost, 0)) AS priced_cost_usd,
        countIf(kind = 'llm' AND cost IS NULL) AS unpriced_calls
    FROM
    (
        SELECT tenant, trajectory_id, 'llm' AS kind, model, '' AS tool_name, status, input_tokens, output_tokens,
               cache_read_tokens, cache_creation_tokens, reasoning_tokens, cost_usd AS cost
        FROM analytics_model_calls
        UNION ALL
        SELECT tenant, trajectory_id, 'tool' AS kind, '' AS model, tool_name, status, NULL, NULL, NULL, NULL, NULL,
               NULL
        FROM analytics_tool_calls
    )
    GROUP BY tenant, trajectory_id
) AS calls ON summaries.tenant = calls.tenant AND summaries.id = calls.trajectory_id;
