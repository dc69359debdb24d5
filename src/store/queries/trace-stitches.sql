-- The current stitching decision of each given trace (the latest row wins: a merge re-points a trace).
SELECT trace_id, argMax(trajectory_id, decided_at) AS trajectory_id
FROM trace_stitches
WHERE tenant = {tenant:String} AND has({trace_ids:Array(String)}, trace_id)
GROUP BY trace_id
