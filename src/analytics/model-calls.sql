-- The `analytics_model_calls` view: one row per model call, under the trajectory it belongs to, with its cost.
-- Its TypeScript twin is model-prices.ts (the price table and its matching rule). Re-applied on every start
-- (src/store/derived-definitions.ts). docs/analytics.md documents every column. Rows come from `trajectory_calls`,
-- which the summarizer writes, so a call shows here once its trajectory is listed.
--
-- Price: the `model_prices` row of the latest load whose model equals the call's model, else the one the call's
-- model extends by a snapshot suffix: '-' and a date (2024-08-06, 20250929), four digits (0613) or 'latest', so
-- gpt-4o-2024-08-06 takes gpt-4o's price unless it has its own row, while gpt-4o-mini-2024-07-18 never takes
-- gpt-4o's. Compared case-insensitively. Cost in USD: uncached input (input minus cache reads and writes, as
-- input counts include cached tokens in the GenAI conventions) at the input price, cache reads and writes at theirs,
-- output (reasoning included) at the output price. NULL, never 0, when the model has no price, the call reported no
-- input or output count, or it used cache tokens whose price is not known.
CREATE OR REPLACE VIEW analytics_model_calls {{on_cluster}} AS
SELECT
    calls.tenant AS tenant,
    calls.trajectory_id AS trajectory_id,
    calls.trace_id AS trace_id,
    calls.span_id AS span_id,
    calls.agent_name AS agent_name,
    calls.task_id AS task_id,
    calls.task AS task,
    calls.provider AS provider,
    calls.model AS model,
    fromUnixTimestamp64Nano(toInt64(calls.trajectory_start_ns)) AS trajectory_start,
    toStartOfHour(trajectory_start) AS hour,
    toStartOfDay(trajectory_start) AS day,
    fromUnixTimestamp64Nano(toInt64(calls.start_ns)) AS start_time,
    calls.duration_ns / 1e6 AS latency_ms,
    calls.status AS status,
    CAST(calls.status = 'error', 'Bool') AS is_error,
    if(calls.status = 'error', if(calls.error_type != '', calls.error_type, '_OTHER'), '') AS error_type,
    calls.input_tokens AS input_tokens,
    calls.output_tokens AS output_tokens,
    calls.cache_read_tokens AS cache_read_tokens,
    calls.cache_creation_tokens AS cache_creation_tokens,
    calls.reasoning_tokens AS reasoning_tokens,
    price.price_model AS price_model,
    if(price.price_model != ''
           AND calls.input_tokens IS NOT NULL AND calls.output_tokens IS NOT NULL
           AND price.input_per_mtok IS NOT NULL AND price.output_per_mtok IS NOT NULL
           AND (ifNull(calls.cache_read_tokens, 0) = 0 OR price.cache_read_per_mtok IS NOT NULL)
           AND (ifNull(calls.cache_creation_tokens, 0) = 0 OR price.cache_creation_per_mtok IS NOT NULL),
       (greatest(toInt64(assumeNotNull(calls.input_tokens)) - toInt64(ifNull(calls.cache_read_tokens, 0))
                     - toInt64(ifNull(calls.cache_creation_tokens, 0)), 0) * assumeNotNull(price.input_per_mtok)
            + ifNull(calls.cache_read_tokens, 0) * ifNull(price.cache_read_per_mtok, 0)
            + ifNull(calls.cache_creation_tokens, 0) * ifNull(price.cache_creation_per_mtok, 0)
            + assumeNotNull(calls.output_tokens) * assumeNotNull(price.output_per_mtok)) / 1e6,
       NULL) AS cost_usd
FROM trajectory_calls AS calls FINAL
LEFT JOIN
(
    SELECT
        call_model,
        argMax(prices.model, length(prices.model)) AS price_model,
        argMax(prices.input_per_mtok, length(prices.model)) AS input_per_mtok,
        argMax(prices.output_per_mtok, length(prices.model)) AS output_per_mtok,
        argMax(prices.cache_read_per_mtok, length(prices.model)) AS cache_read_per_mtok,
        argMax(prices.cache_creation_per_mtok, length(prices.model)) AS cache_creation_per_mtok
    FROM (SELECT DISTINCT model AS call_model FROM trajectory_calls WHERE kind = 'llm' AND model != '') AS used
    CROSS JOIN
    (
        SELECT model, input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_creation_per_mtok
        FROM model_prices FINAL
        WHERE loaded_ms = (SELECT max(loaded_ms) FROM model_prices) AND model != ''
    ) AS prices
    WHERE lower(used.call_model) = lower(prices.model)
       OR (startsWith(lower(used.call_model), concat(lower(prices.model), '-'))
           AND match(substring(lower(used.call_model), length(prices.model) + 2), '^(\\d{4}-\\d{2}-\\d{2}|\\d{8}|\\d{4}|latest)$'))
    GROUP BY call_model
) AS price ON calls.model = price.call_model
WHERE calls.kind = 'llm';
