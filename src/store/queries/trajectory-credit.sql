-- Credit per LLM call of one trajectory from the `credit` view; the group for the advantage is the traces the
-- trace_index lists for the trajectory's task (see task-group-traces.sql).
SELECT turn_index, span_id, identical, discounted, air_shaped, advantage, group_size, group_mean, group_std
FROM credit(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, group_trace_ids = {group_trace_ids:Array(String)},
            gamma = {gamma:Float64}, quiet_seconds = {quiet_seconds:Float64})
WHERE trajectory_id = {id:String}
ORDER BY turn_index
