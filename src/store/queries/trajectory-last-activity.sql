-- When each given trajectory last received a span (from its stored summary), so the stitcher never extends a
-- trajectory that may already be complete and exported.
SELECT id, max(last_ingested_ms) AS last_ingested_ms
FROM trajectory_summaries FINAL
WHERE tenant = {tenant:String} AND has({ids:Array(String)}, id)
GROUP BY id
