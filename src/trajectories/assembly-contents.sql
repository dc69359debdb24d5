-- The contents (src/store/content-refs.ts) of the given traces for trajectory assembly, as trace-contents.sql
-- reads them but deduplicated by FINAL on the table's key (tenant, trace_id, hash) rather than by GROUP BY:
-- copies left by retries hold the same text, and FINAL spares the hash aggregation over every text.
SELECT trace_id, hash, text
FROM contents FINAL
WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
