-- What people say about a trajectory (PATCH /v1/trajectories/{id}, src/trajectories/annotations.ts): tags, an
-- outcome that overrides the computed one, whether a human reviewed it, a note. Kept beside the spans, which stay
-- as the agent sent them; the latest annotation of a trajectory wins (each PATCH writes the merged whole).
CREATE TABLE IF NOT EXISTS trajectory_annotations {{on_cluster}}
(
    tenant LowCardinality(String),
    trajectory_id String,
    trace_id String,
    tags Array(String),
    -- '' when the computed outcome stands.
    outcome LowCardinality(String),
    human_reviewed UInt8,
    note String CODEC(ZSTD(3)),
    -- Unix milliseconds of the PATCH.
    updated_ms UInt64
)
ENGINE = {{engine:ReplacingMergeTree}}(updated_ms)
ORDER BY (tenant, trajectory_id);
