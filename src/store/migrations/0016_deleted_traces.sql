-- Traces deleted through the API (src/store/delete-traces.ts): the receiver loads them at start and drops any row
-- of them it would still store, so a client's retry, a late span or a write-ahead-log replay after a restart never
-- brings a deleted trace back. Trace ids are random 128-bit values, so a new trace never reuses one.
CREATE TABLE IF NOT EXISTS deleted_traces {{on_cluster}}
(
    tenant LowCardinality(String),
    trace_id String,
    deleted_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}(deleted_at)
ORDER BY (tenant, trace_id);

-- Deleting rows (DELETE FROM) from a table with a projection needs the projection rebuilt for the parts it touches.
ALTER TABLE spans {{on_cluster}} MODIFY SETTING lightweight_mutation_projection_mode = 'rebuild';
