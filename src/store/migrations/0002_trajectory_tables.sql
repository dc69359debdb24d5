-- Tables the trajectory views read besides `spans` and `events`: feedback posted to the API, the AIR rules users
-- tune, and two small indexes maintained by materialized views so that listing trajectories and resolving an
-- Agent Lightning id never scan every trace's spans.

-- Rewards posted to POST /v1/trajectories/{id}/rewards. The trace id is resolved when the reward is posted, so
-- reading the feedback of one trace is a point read on the sort key; feedback_id makes a retried POST with the
-- same id idempotent (ReplacingMergeTree).
CREATE TABLE IF NOT EXISTS feedback {{on_cluster}}
(
    tenant LowCardinality(String),
    trace_id String,
    trajectory_id String,
    feedback_id String,
    name String,
    value Float64,
    comment String,
    time_unix_nano UInt64,
    ingested_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (tenant, trace_id, trajectory_id, feedback_id);

-- AIR (agent intermediate reward) rules: one value per rule, the latest `updated_at` wins. Users change a rule
-- with a plain INSERT (updated_at defaults to now, so it outranks the defaults seeded at time 0 below, even if a
-- second receiver re-seeds them later). Setting a value to 0 disables a rule.
CREATE TABLE IF NOT EXISTS air_rules {{on_cluster}}
(
    rule LowCardinality(String),
    reward Float64,
    description String,
    updated_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}(updated_at)
ORDER BY rule;

INSERT INTO air_rules (rule, reward, description, updated_at) VALUES
    ('tool_succeeded', 0.1, 'a tool execution that answered a call and did not fail', toDateTime64(0, 3)),
    ('tool_failed', -0.1, 'a tool execution whose span has status error', toDateTime64(0, 3)),
    ('llm_failed', -0.1, 'an LLM call whose span has status error', toDateTime64(0, 3)),
    ('tool_unanswered', -0.1, 'a tool call the model made that no tool span answered', toDateTime64(0, 3));

-- One row per (tenant, trace) after merges, aggregated with functions that are idempotent under the duplicate
-- rows a client retry leaves before ReplacingMergeTree merges (min, max, argMin). Readers GROUP BY
-- (tenant, trace_id) because unmerged parts hold partial aggregates. Trajectory search ranks its candidates by the
-- task description and first user message kept here. The view reads only plain columns (the first user message
-- text is extracted once at ingest, src/store/span-row.ts), because it runs inside every insert of spans.
CREATE TABLE IF NOT EXISTS trace_index {{on_cluster}}
(
    tenant LowCardinality(String),
    trace_id String,
    start_time_unix_nano SimpleAggregateFunction(min, UInt64),
    end_time_unix_nano SimpleAggregateFunction(max, UInt64),
    last_ingested_at SimpleAggregateFunction(max, DateTime64(3)),
    task_description SimpleAggregateFunction(max, String),
    first_user_text AggregateFunction(argMin, String, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
ORDER BY (tenant, trace_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS trace_index_mv {{on_cluster}} TO trace_index AS
SELECT
    tenant,
    trace_id,
    min(span_start) AS start_time_unix_nano,
    max(span_end) AS end_time_unix_nano,
    max(span_ingested_at) AS last_ingested_at,
    max(left(task, 2000)) AS task_description,
    argMinStateIf(span_first_user_text, span_start, span_first_user_text != '') AS first_user_text
FROM
(
    -- Renamed so the aggregates' aliases above do not shadow the span columns they aggregate.
    SELECT
        tenant, trace_id, task,
        start_time_unix_nano AS span_start,
        end_time_unix_nano AS span_end,
        ingested_at AS span_ingested_at,
        first_user_text AS span_first_user_text
    FROM spans
)
GROUP BY tenant, trace_id;

CREATE TABLE IF NOT EXISTS rollout_traces {{on_cluster}}
(
    tenant LowCardinality(String),
    rollout_id String,
    attempt_id String,
    trace_id String
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (tenant, rollout_id, attempt_id, trace_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS rollout_traces_mv {{on_cluster}} TO rollout_traces AS
SELECT DISTINCT tenant, rollout_id, attempt_id, trace_id
FROM spans
WHERE rollout_id != '';
