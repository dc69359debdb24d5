-- spans and events partitioned by the month the store received a row (`ingested_at`, filled by ClickHouse), as
-- contents already is, instead of by the start time the client sent. A client decides its timestamps: one request
-- whose spans claimed 120 different months made one insert touch more than 100 partitions, which ClickHouse refuses
-- (TOO_MANY_PARTS), and far-past or far-future times left a part per month forever. Ingest time is one partition per
-- insert, whatever the client sends (docs/decisions/2026-12-02-partition-by-ingest-time.md).
--
-- Sort keys are unchanged: the hot read (one tenant's trace) goes through them, not the partition. A retried span
-- that arrives in a later month lands in another partition, so background merges never collapse the two copies;
-- FINAL does (it merges across partitions unless do_not_merge_across_partitions_select_final is set, which this
-- store never sets), and ingested_at as the version keeps the copy received last, as insertion order did within a
-- partition. Time-range reads skip parts by a minmax index on the client's time.
--
-- Each table is rebuilt in four steps, the same on one node and on a cluster: create the new table (ON CLUSTER, so
-- every replica has it), copy the rows into it with one INSERT ... SELECT on the node this receiver talks to (the
-- Replicated engine carries the parts to the other replicas; `AS SELECT` ON CLUSTER would copy once per replica),
-- EXCHANGE the two names atomically (ON CLUSTER; Atomic databases; each table keeps its own replica path, which the
-- server's default derives from the table's UUID), and drop the old table. Every step but the drop is skipped once
-- the table is partitioned by ingested_at, checked right before it runs, so a receiver that starts after another
-- finished does not copy again, and one that dies part-way finishes the job on its next start: a copy interrupted
-- half-way is completed by copying again into the same table, and rows copied twice are identical (same key, same
-- ingested_at), which ReplacingMergeTree collapses. Two receivers copying at the same moment end with the rows of
-- both copies; stop every receiver before this upgrade anyway (README): rows inserted into the old table during
-- the copy would be dropped with it.
--
-- The copy names its columns, so it does not depend on the old table's column order; MATERIALIZED columns
-- (duration_ns, record_hash) are computed again from the same values. It does not fire the materialized views
-- that read spans and events (they read the old name, whose rows they have seen); they follow the name across the
-- EXCHANGE and are given their query again by the derived definitions right after the migrations.
-- skip-if: SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'spans' AND partition_key = 'toYYYYMM(ingested_at)'
CREATE TABLE IF NOT EXISTS spans_by_ingest_time {{on_cluster}}
(
    tenant LowCardinality(String),
    trace_id String,
    span_id String,
    parent_span_id String,
    name String,
    kind LowCardinality(String),
    span_kind LowCardinality(String),
    status LowCardinality(String),
    status_message String,
    start_time_unix_nano UInt64,
    end_time_unix_nano UInt64,
    duration_ns UInt64 MATERIALIZED if(end_time_unix_nano > start_time_unix_nano, end_time_unix_nano - start_time_unix_nano, 0),
    service_name LowCardinality(String),
    scope_name LowCardinality(String),
    scope_version LowCardinality(String),
    convention LowCardinality(String),
    operation LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    response_model LowCardinality(String),
    response_id String,
    finish_reasons Array(LowCardinality(String)),
    input_tokens Nullable(UInt64),
    output_tokens Nullable(UInt64),
    cache_read_tokens Nullable(UInt64),
    cache_creation_tokens Nullable(UInt64),
    reasoning_tokens Nullable(UInt64),
    input_messages String CODEC(ZSTD(3)),
    output_messages String CODEC(ZSTD(3)),
    tool_definitions String CODEC(ZSTD(3)),
    input_message_refs Array(FixedString(16)) CODEC(ZSTD(3)),
    output_message_refs Array(FixedString(16)) CODEC(ZSTD(3)),
    tool_definitions_ref String CODEC(ZSTD(3)),
    tool_name LowCardinality(String),
    tool_call_id String,
    tool_arguments String CODEC(ZSTD(3)),
    tool_result String CODEC(ZSTD(3)),
    tool_result_ref String CODEC(ZSTD(3)),
    agent_name LowCardinality(String),
    agent_id String,
    conversation_id String,
    task_id String,
    task String,
    first_user_text String,
    rollout_id String,
    attempt_id String,
    rewards Array(Tuple(name String, value Float64)),
    error_type LowCardinality(String),
    attributes String CODEC(ZSTD(3)),
    attribute_refs Array(Tuple(key String, open String, separator String, close String, refs Array(FixedString(16)))) CODEC(ZSTD(3)),
    resource_attributes String CODEC(ZSTD(3)),
    events String CODEC(ZSTD(3)),
    links String CODEC(ZSTD(3)),
    trace_state String,
    flags UInt32,
    ingested_at DateTime64(3) DEFAULT now64(3),
    INDEX start_time_minmax start_time_unix_nano TYPE minmax GRANULARITY 4,
    PROJECTION by_tenant_time
    (
        SELECT tenant, start_time_unix_nano, trace_id, span_id, kind, name, status
        ORDER BY tenant, start_time_unix_nano
    )
)
ENGINE = {{engine:ReplacingMergeTree}}(ingested_at)
PARTITION BY toYYYYMM(ingested_at)
ORDER BY (tenant, trace_id, span_id)
SETTINGS deduplicate_merge_projection_mode = 'rebuild', index_granularity = 8192;

-- skip-if: SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'spans' AND partition_key = 'toYYYYMM(ingested_at)'
-- log: SELECT concat('rebuilding spans partitioned by ingest time: ', toString(count()), ' rows, this can take a while') FROM spans HAVING count() > 0
INSERT INTO spans_by_ingest_time (
    tenant, trace_id, span_id, parent_span_id, name, kind, span_kind, status, status_message,
    start_time_unix_nano, end_time_unix_nano, service_name, scope_name, scope_version, convention, operation,
    provider, model, response_model, response_id, finish_reasons, input_tokens, output_tokens, cache_read_tokens,
    cache_creation_tokens, reasoning_tokens, input_messages, output_messages, tool_definitions, input_message_refs,
    output_message_refs, tool_definitions_ref, tool_name, tool_call_id, tool_arguments, tool_result, tool_result_ref,
    agent_name, agent_id, conversation_id, task_id, task, first_user_text, rollout_id, attempt_id, rewards,
    error_type, attributes, attribute_refs, resource_attributes, events, links, trace_state, flags, ingested_at
)
SELECT
    tenant, trace_id, span_id, parent_span_id, name, kind, span_kind, status, status_message,
    start_time_unix_nano, end_time_unix_nano, service_name, scope_name, scope_version, convention, operation,
    provider, model, response_model, response_id, finish_reasons, input_tokens, output_tokens, cache_read_tokens,
    cache_creation_tokens, reasoning_tokens, input_messages, output_messages, tool_definitions, input_message_refs,
    output_message_refs, tool_definitions_ref, tool_name, tool_call_id, tool_arguments, tool_result, tool_result_ref,
    agent_name, agent_id, conversation_id, task_id, task, first_user_text, rollout_id, attempt_id, rewards,
    error_type, attributes, attribute_refs, resource_attributes, events, links, trace_state, flags, ingested_at
FROM spans;

-- skip-if: SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'spans' AND partition_key = 'toYYYYMM(ingested_at)'
EXCHANGE TABLES spans AND spans_by_ingest_time {{on_cluster}};

-- The old table, after the exchange (this start's, or that of a start that died before dropping it).
DROP TABLE IF EXISTS spans_by_ingest_time {{on_cluster}} SYNC;

-- skip-if: SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'events' AND partition_key = 'toYYYYMM(ingested_at)'
CREATE TABLE IF NOT EXISTS events_by_ingest_time {{on_cluster}}
(
    tenant LowCardinality(String),
    trace_id String,
    span_id String,
    time_unix_nano UInt64,
    observed_time_unix_nano UInt64,
    event_name LowCardinality(String),
    severity_number UInt8,
    severity_text LowCardinality(String),
    body String CODEC(ZSTD(3)),
    attributes String CODEC(ZSTD(3)),
    resource_attributes String CODEC(ZSTD(3)),
    service_name LowCardinality(String),
    scope_name LowCardinality(String),
    message String CODEC(ZSTD(3)),
    message_direction LowCardinality(String),
    message_index Int32,
    evaluation_name String,
    evaluation_score Nullable(Float64),
    evaluation_label String,
    evaluation_explanation String,
    operation_details String CODEC(ZSTD(3)),
    record_hash UInt64 MATERIALIZED cityHash64(event_name, body, attributes, time_unix_nano, observed_time_unix_nano),
    ingested_at DateTime64(3) DEFAULT now64(3),
    INDEX time_minmax time_unix_nano TYPE minmax GRANULARITY 4
)
ENGINE = {{engine:ReplacingMergeTree}}(ingested_at)
PARTITION BY toYYYYMM(ingested_at)
ORDER BY (tenant, trace_id, span_id, time_unix_nano, record_hash);

-- skip-if: SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'events' AND partition_key = 'toYYYYMM(ingested_at)'
-- log: SELECT concat('rebuilding events partitioned by ingest time: ', toString(count()), ' rows, this can take a while') FROM events HAVING count() > 0
INSERT INTO events_by_ingest_time (
    tenant, trace_id, span_id, time_unix_nano, observed_time_unix_nano, event_name, severity_number, severity_text,
    body, attributes, resource_attributes, service_name, scope_name, message, message_direction, message_index,
    evaluation_name, evaluation_score, evaluation_label, evaluation_explanation, operation_details, ingested_at
)
SELECT
    tenant, trace_id, span_id, time_unix_nano, observed_time_unix_nano, event_name, severity_number, severity_text,
    body, attributes, resource_attributes, service_name, scope_name, message, message_direction, message_index,
    evaluation_name, evaluation_score, evaluation_label, evaluation_explanation, operation_details, ingested_at
FROM events;

-- skip-if: SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'events' AND partition_key = 'toYYYYMM(ingested_at)'
EXCHANGE TABLES events AND events_by_ingest_time {{on_cluster}};

-- The old table, after the exchange (this start's, or that of a start that died before dropping it).
DROP TABLE IF EXISTS events_by_ingest_time {{on_cluster}} SYNC;
