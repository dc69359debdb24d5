-- The traces of one Agent Lightning rollout attempt (an `al-...` trajectory id).
SELECT DISTINCT trace_id
FROM rollout_traces
WHERE tenant = {tenant:String} AND rollout_id = {rollout_id:String} AND attempt_id = {attempt_id:String}
