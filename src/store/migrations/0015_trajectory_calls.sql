-- One row per model call and per tool execution, with the trajectory it belongs to: what the analytics views
-- (src/analytics/) group by agent, task, model, tool and time. The summarizer writes these rows beside each
-- trace's `trajectory_summaries` rows, from the same assembly (src/analytics/call-rows.ts), so a call is counted
-- under the trajectory the API shows it in (nested agents, stitched conversations, rollouts) and the numbers are
-- exactly as fresh as the list. The agent, task and trajectory start are copied from the trajectory, so analytics
-- filter and bucket without a join. A span's start never changes, so the sort key (which is also the replacing
-- key) is stable: a call re-assigned to another trajectory (its parent arrived later) is replaced by the newer
-- version. Readers use FINAL.
CREATE TABLE IF NOT EXISTS trajectory_calls {{on_cluster}}
(
    tenant LowCardinality(String),
    start_ns UInt64,
    trace_id String,
    span_id String,
    trajectory_id String,
    trajectory_start_ns UInt64,
    agent_name LowCardinality(String),
    task_id String,
    task String CODEC(ZSTD(3)),
    -- 'llm' or 'tool'.
    kind LowCardinality(String),
    duration_ns UInt64,
    status LowCardinality(String),
    error_type LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    tool_name LowCardinality(String),
    input_tokens Nullable(UInt64),
    output_tokens Nullable(UInt64),
    cache_read_tokens Nullable(UInt64),
    cache_creation_tokens Nullable(UInt64),
    reasoning_tokens Nullable(UInt64),
    version UInt64,
    INDEX trajectory_start_index trajectory_start_ns TYPE minmax GRANULARITY 1,
    INDEX agent_name_index agent_name TYPE set(256) GRANULARITY 1
)
ENGINE = {{engine:ReplacingMergeTree}}(version)
ORDER BY (tenant, start_ns, trace_id, span_id);

-- Prices per model and token kind in USD per million tokens, loaded by the receiver at start from the shipped
-- table and the user's override (src/analytics/model-prices.ts); the analytics views price calls with the rows of
-- the latest load only (`loaded_ms`; a model's older rows are replaced), so a model dropped from the table is
-- unpriced again. A price left out is NULL: a call needing it has an unknown cost, never a cost of zero.
CREATE TABLE IF NOT EXISTS model_prices {{on_cluster}}
(
    model String,
    input_per_mtok Nullable(Float64),
    output_per_mtok Nullable(Float64),
    cache_read_per_mtok Nullable(Float64),
    cache_creation_per_mtok Nullable(Float64),
    source String,
    -- Unix milliseconds of the load.
    loaded_ms UInt64
)
ENGINE = {{engine:ReplacingMergeTree}}(loaded_ms)
ORDER BY model;

-- Traces summarized before this migration have no call rows: mark them dirty once, so the summarizer recomputes
-- them (idempotent) and writes their calls. Skipped on a store with nothing summarized yet.
-- skip-if: SELECT count() = 0 FROM trajectory_summaries
INSERT INTO dirty_traces (tenant, trace_id, ingested_at)
SELECT DISTINCT tenant, trace_id, now64(3)
FROM trajectory_summaries;
