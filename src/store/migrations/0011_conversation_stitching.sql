-- Stitching of agent-less model calls into conversations (src/trajectories/stitch-conversations.ts). An agent with
-- zero-code instrumentation and no enclosing agent span emits each model call as its own trace; the summarizer
-- decides once per such trace which trajectory it belongs to and records it here, and the views and the
-- TypeScript assembly read the decision.

-- The trajectory each stitchable trace belongs to (itself when it starts one). A later row for the same trace (a
-- merge, when a late call bridges two trajectories) wins by decided_at.
CREATE TABLE IF NOT EXISTS trace_stitches {{on_cluster}}
(
    tenant LowCardinality(String),
    trace_id String,
    trajectory_id String,
    decided_at DateTime64(3) DEFAULT now64(3),
    INDEX trajectory_id_index trajectory_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{engine:ReplacingMergeTree}}(decided_at)
ORDER BY (tenant, trace_id);

-- What later calls look decisions up by: per stitchable trace, its conversation id, the message-history keys of
-- its last call's input + output (`continuation`) and of its first call's input prefixes (`opening`), and the
-- traces it continued (`claimed`, so a second call extending the same history starts its own trajectory). Only
-- useful within the stitch window, so rows expire.
CREATE TABLE IF NOT EXISTS stitch_keys {{on_cluster}}
(
    tenant LowCardinality(String),
    service_name LowCardinality(String),
    kind LowCardinality(String),
    key String,
    trace_id String,
    start_ns UInt64,
    end_ns UInt64,
    created_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}(created_at)
ORDER BY (tenant, key, kind, trace_id)
TTL toDateTime(created_at) + INTERVAL 30 DAY;
