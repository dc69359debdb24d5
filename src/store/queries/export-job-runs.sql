-- Runs of one export job, newest first (latest version of each run).
SELECT run_id, sequence, status, file, format, trajectory_ids, toString(watermark_ns) AS watermark_ns,
       records, bytes, error, toString(started_at) AS started_at, toString(updated_at) AS updated_at
FROM export_job_runs FINAL
WHERE tenant = {tenant:String} AND job = {job:String}
ORDER BY sequence DESC
LIMIT {limit:UInt32}
