-- The contents (src/store/content-refs.ts) of the given traces, one text per hash: copies left by retries (before
-- merges) hold the same text. `trace_id IN` on the (tenant, trace_id) sort-key prefix keeps it a point read.
SELECT trace_id, hash, any(text) AS text
FROM contents
WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
GROUP BY trace_id, hash
