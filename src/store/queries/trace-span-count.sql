-- How many spans the given traces hold, before a read commits to them (collector/api/read-limits.ts). uniqExact
-- on span_id counts the copies a retry left once without paying for FINAL; `trace_id IN` on the
-- (tenant, trace_id) sort-key prefix keeps it a point read.
SELECT uniqExact(trace_id, span_id) AS spans
FROM spans
WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
