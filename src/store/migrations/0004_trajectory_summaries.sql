-- The fast read path of the trajectory API. The trajectory views stay the definition users query, but planning
-- them costs 0.25-1 s per query, so the API assembles trajectories in TypeScript (src/trajectories/) and lists
-- them from `trajectory_summaries`, a table the receiver's summarizer (collector/summaries/summarizer.ts) keeps
-- current from `dirty_traces`. docs/trajectories.md describes the mechanism and how fresh the list is.

-- One row per trajectory with the columns of the `trajectories` view, except `complete`, which depends on the
-- current time: the table keeps what it needs (has_root; last_ingested_ms, the latest ingested_at of its spans
-- in unix ms) and readers compute it. The sort key
-- serves "recent trajectories of a tenant, newest first" with keyset pagination on (start_ns, id); since it is
-- also the replacing key, a trajectory whose start moves (an earlier span arrived late) or whose id vanishes
-- (a whole-trace trajectory that becomes `<trace>-<agent>` once the agent span arrives) gets a tombstone
-- (is_deleted = 1, newer version) for its old key. Readers use FINAL, which hides tombstoned keys.
CREATE TABLE IF NOT EXISTS trajectory_summaries {{on_cluster}}
(
    tenant LowCardinality(String),
    start_ns UInt64,
    id String,
    trace_id String,
    root_trajectory_id String,
    root_span_id String,
    parent_trajectory_id String,
    agent_name String,
    agent_id String,
    task String CODEC(ZSTD(3)),
    task_id String,
    conversation_id String,
    rollout_id String,
    attempt_id String,
    end_ns UInt64,
    duration_ms Float64,
    turn_count UInt32,
    tool_call_count UInt32,
    error_count UInt32,
    input_tokens UInt64,
    output_tokens UInt64,
    final_reward Nullable(Float64),
    final_reward_source LowCardinality(String),
    outcome LowCardinality(String),
    has_root UInt8,
    last_ingested_ms Int64,
    version UInt64,
    is_deleted UInt8,
    -- The summarizer finds the existing rows of the traces it recomputes (for tombstones) and search finds its
    -- candidates' rows by trace id; list filters and GRPO groups narrow by task and agent.
    INDEX trace_id_index trace_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX task_id_index task_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX agent_name_index agent_name TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{engine:ReplacingMergeTree}}(version, is_deleted)
ORDER BY (tenant, start_ns, id)
SETTINGS index_granularity = 1024;

-- Traces whose summaries may be stale: one row per (tenant, trace) per insert into spans, evaluation events or
-- feedback (materialized views in src/trajectories/dirty-traces-mv.sql). The summarizer polls it by ingested_at
-- from its watermark; rows are only a change log, so a few days
-- of TTL is plenty for a receiver that was down for a while (a longer outage: see docs, rebuild from spans).
CREATE TABLE IF NOT EXISTS dirty_traces {{on_cluster}}
(
    tenant LowCardinality(String),
    trace_id String,
    ingested_at DateTime64(3)
)
ENGINE = {{engine:MergeTree}}
ORDER BY ingested_at
TTL toDateTime(ingested_at) + INTERVAL 3 DAY;

-- How far each summarizer has read `dirty_traces` (latest updated_at wins), so a restart resumes there (minus an
-- overlap window: recomputing a trace is idempotent).
CREATE TABLE IF NOT EXISTS summarizer_state {{on_cluster}}
(
    name String,
    watermark_ms Int64,
    updated_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}(updated_at)
ORDER BY name;
