-- Traces marked dirty after a point in time (all tenants: the summarizer serves the whole store, and every read
-- it then does is scoped to one tenant). Grouped per trace with its latest mark, oldest first, so a page cut by
-- LIMIT leaves only traces whose latest mark is later than everything returned.
SELECT tenant, trace_id, toUnixTimestamp64Milli(max(ingested_at)) AS ingested_ms
FROM dirty_traces
WHERE ingested_at > fromUnixTimestamp64Milli({since_ms:Int64}) AND ingested_at <= fromUnixTimestamp64Milli({until_ms:Int64})
GROUP BY tenant, trace_id
ORDER BY ingested_ms, tenant, trace_id
LIMIT {limit:UInt32}
