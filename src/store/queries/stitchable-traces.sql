-- Which of the given traces may be stitched into a conversation: no agent span, no Agent Lightning ids, at least
-- one model call. Cheap columns only, so a batch of agent traces costs the stitcher one small read.
SELECT trace_id
FROM spans FINAL
WHERE tenant = {tenant:String} AND has({trace_ids:Array(String)}, trace_id)
GROUP BY trace_id
HAVING countIf(kind = 'agent') = 0 AND max(rollout_id) = '' AND countIf(kind = 'llm') > 0
