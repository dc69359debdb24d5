-- Runs of one export job left pending by a crash (reconciled before the next run).
SELECT run_id, sequence, status, file, format, trajectory_ids, toString(watermark_ns) AS watermark_ns,
       records, bytes, error, toString(started_at) AS started_at, toString(updated_at) AS updated_at
FROM export_job_runs FINAL
WHERE tenant = {tenant:String} AND job = {job:String} AND status = 'pending'
ORDER BY sequence
