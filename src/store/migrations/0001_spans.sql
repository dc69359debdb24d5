-- One row per span, as the receiver maps it onto the canonical model (src/model/span.ts).
-- ReplacingMergeTree on (tenant, trace_id, span_id) makes client retries idempotent: a span delivered twice is
-- one row once merged, and every read goes through FINAL (or the views built on this table) so it counts once
-- before the merge too. The sort key serves the hot read "all spans of one trace"; the by_tenant_time projection
-- serves "recent spans of one tenant".
CREATE TABLE IF NOT EXISTS spans {{on_cluster}}
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
    tool_name LowCardinality(String),
    tool_call_id String,
    tool_arguments String CODEC(ZSTD(3)),
    tool_result String CODEC(ZSTD(3)),
    agent_name LowCardinality(String),
    agent_id String,
    conversation_id String,
    task_id String,
    task String,
    -- Text of the first user message of an LLM call's input (at most 2000 characters), for trajectory search.
    first_user_text String,
    rollout_id String,
    attempt_id String,
    rewards Array(Tuple(name String, value Float64)),
    error_type LowCardinality(String),
    attributes String CODEC(ZSTD(3)),
    resource_attributes String CODEC(ZSTD(3)),
    events String CODEC(ZSTD(3)),
    links String CODEC(ZSTD(3)),
    trace_state String,
    flags UInt32,
    ingested_at DateTime64(3) DEFAULT now64(3),
    PROJECTION by_tenant_time
    (
        SELECT tenant, start_time_unix_nano, trace_id, span_id, kind, name, status
        ORDER BY tenant, start_time_unix_nano
    )
)
ENGINE = {{engine:ReplacingMergeTree}}
PARTITION BY toYYYYMM(fromUnixTimestamp64Nano(toInt64(start_time_unix_nano)))
ORDER BY (tenant, trace_id, span_id)
SETTINGS deduplicate_merge_projection_mode = 'rebuild', index_granularity = 8192;

-- GenAI events that arrive as OTLP log records (evaluation results, legacy per-message events, inference
-- operation details), linked to their trace and span. The record hash makes a retried log export idempotent.
CREATE TABLE IF NOT EXISTS events {{on_cluster}}
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
    ingested_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}
PARTITION BY toYYYYMM(fromUnixTimestamp64Nano(toInt64(time_unix_nano)))
ORDER BY (tenant, trace_id, span_id, time_unix_nano, record_hash);
