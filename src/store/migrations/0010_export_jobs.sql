-- State of scheduled export jobs (src/exporters/jobs/). A run is recorded `pending` with the ids of the
-- trajectories in its file before the file is renamed into place, and `committed` (or `failed`) afterwards; the
-- highest `version` of a run wins. `export_job_trajectories` holds every trajectory a job has exported, so a
-- trajectory is exported once per job across restarts, reruns and late spans. A pending run found on start is
-- committed when its file exists (the crash came after the rename) and marked failed otherwise.
CREATE TABLE IF NOT EXISTS export_job_runs {{on_cluster}}
(
    tenant LowCardinality(String),
    job String,
    run_id String,
    sequence UInt64,
    status LowCardinality(String),
    file String,
    format LowCardinality(String),
    trajectory_ids Array(String) CODEC(ZSTD(3)),
    watermark_ns UInt64,
    records UInt64,
    bytes UInt64,
    error String,
    started_at DateTime64(3),
    updated_at DateTime64(3) DEFAULT now64(3),
    version UInt64
)
ENGINE = {{engine:ReplacingMergeTree}}(version)
ORDER BY (tenant, job, run_id);

CREATE TABLE IF NOT EXISTS export_job_trajectories {{on_cluster}}
(
    tenant LowCardinality(String),
    job String,
    trajectory_id String,
    run_id String,
    exported_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (tenant, job, trajectory_id);
