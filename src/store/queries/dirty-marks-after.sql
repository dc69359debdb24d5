-- The next marks in `dirty_traces` after the summarizer's watermark, oldest first, read in sort-key order so only
-- the first granules past the watermark are touched however large the backlog (no GROUP BY over all of it).
-- WITH TIES returns every mark of the last millisecond too, so the caller may move its watermark to that
-- millisecond without cutting an insert's marks in half. A trace may appear more than once (one mark per insert).
SELECT tenant, trace_id, toUnixTimestamp64Milli(ingested_at) AS ingested_ms
FROM dirty_traces
WHERE ingested_at > fromUnixTimestamp64Milli({since_ms:Int64})
ORDER BY ingested_at
LIMIT {limit:UInt32} WITH TIES
