-- One page of candidate traces for GET /v1/trajectories, newest first, from the trace_index (one row per trace
-- after merges; GROUP BY folds the partial aggregates of unmerged parts). Only trace-level filters apply here;
-- the trajectory-level ones run on the page's summaries. Keyset: traces at or before the cursor's (start, trace).
SELECT
    trace_id,
    toString(min(start_time_unix_nano)) AS start_ns
FROM trace_index
WHERE tenant = {tenant:String}
  AND ({trace_id:String} = '' OR trace_id = {trace_id:String})
GROUP BY trace_id
HAVING min(start_time_unix_nano) >= {since:UInt64}
   AND min(start_time_unix_nano) <= {until:UInt64}
   AND ({agent:String} = '' OR has(groupUniqArrayArray(agent_names), {agent:String}))
   AND ({task:String} = '' OR has(groupUniqArrayArray(task_keys), {task:String}) OR max(task_description) = {task:String})
   AND (NOT {after_cursor:Bool} OR (min(start_time_unix_nano), trace_id) <= ({cursor_start:UInt64}, {cursor_trace:String}))
ORDER BY min(start_time_unix_nano) DESC, trace_id DESC
LIMIT {limit:UInt32}
