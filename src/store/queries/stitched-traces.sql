-- Every trace currently stitched into one of the given trajectories (a trace re-pointed elsewhere by a merge is
-- not one of them any more).
SELECT trace_id, argMax(trajectory_id, decided_at) AS trajectory_id
FROM trace_stitches
WHERE tenant = {tenant:String}
  AND trace_id IN (
      SELECT trace_id FROM trace_stitches
      WHERE tenant = {tenant:String} AND has({trajectory_ids:Array(String)}, trajectory_id)
  )
GROUP BY trace_id
HAVING has({trajectory_ids:Array(String)}, trajectory_id)
