-- Where an export job stands: the next run sequence and the watermark of its latest committed run.
SELECT max(sequence) AS last_sequence,
       toString(argMaxIf(watermark_ns, sequence, status = 'committed')) AS watermark_ns
FROM export_job_runs FINAL
WHERE tenant = {tenant:String} AND job = {job:String}
