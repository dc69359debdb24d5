-- Traces that can hold a trajectory of the given task: the GRPO group of a trajectory is computed over these
-- only, instead of assembling every trace of the tenant.
SELECT trace_id
FROM trace_index
WHERE tenant = {tenant:String}
GROUP BY trace_id
HAVING has(groupUniqArrayArray(task_keys), {task_id:String})
