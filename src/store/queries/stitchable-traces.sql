-- Which of the given traces may be stitched into a conversation: no agent span, no Agent Lightning ids, at least
-- one model call, and its root span stored (spans are exported as they end, so children come first: until the
-- root is in, an agent span may still arrive, and the decision waits for the next time the trace is marked dirty).
-- Cheap columns only, so a batch of agent traces costs the stitcher one small read.
SELECT trace_id
FROM spans FINAL
WHERE tenant = {tenant:String} AND has({trace_ids:Array(String)}, trace_id)
GROUP BY trace_id
HAVING countIf(kind = 'agent') = 0 AND max(rollout_id) = '' AND countIf(kind = 'llm') > 0
   AND countIf(parent_span_id = '') > 0
