-- Tables the trajectory views read besides `spans` and `events`: feedback posted to the API, the AIR rules users
-- tune, and two small indexes kept by materialized views (src/trajectories/trace-index-mv.sql and
-- rollout-traces-mv.sql, re-applied on every start) so that listing trajectories and resolving an Agent Lightning
-- id never scan every trace's spans. Like every numbered migration this file holds tables only and is immutable
-- once released (src/store/migrate.ts checks its checksum).

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
-- with a plain INSERT (updated_at defaults to now, so it outranks the defaults seeded at time 0 by
-- src/trajectories/air-rule-defaults.sql). Setting a value to 0 disables a rule.
CREATE TABLE IF NOT EXISTS air_rules {{on_cluster}}
(
    rule LowCardinality(String),
    reward Float64,
    description String,
    updated_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}(updated_at)
ORDER BY rule;

-- One row per (tenant, trace) after merges, aggregated with functions that are idempotent under the duplicate
-- rows a client retry leaves before ReplacingMergeTree merges (min, max, argMin). Readers GROUP BY
-- (tenant, trace_id) because unmerged parts hold partial aggregates. Trajectory search ranks its candidates by the
-- task description and first user message kept here.
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

CREATE TABLE IF NOT EXISTS rollout_traces {{on_cluster}}
(
    tenant LowCardinality(String),
    rollout_id String,
    attempt_id String,
    trace_id String
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (tenant, rollout_id, attempt_id, trace_id);
