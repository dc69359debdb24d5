-- The contents (src/store/content-refs.ts) of the given traces. FINAL on the table's key (tenant, trace_id, hash)
-- collapses the copies retries leave (they hold the same text) for less than a GROUP BY over every text costs
-- (40 ms against 51 ms for the contents of 1,000 traces). `trace_id IN` on the (tenant, trace_id) sort-key prefix
-- keeps it a point read.
-- The trace filter is a PREWHERE: FINAL keeps ClickHouse from moving it there, and on the sort key's prefix it is
-- exact (docs/decisions/2026-12-03-prewhere-under-final.md).
SELECT trace_id, hash, text
FROM contents FINAL
PREWHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
