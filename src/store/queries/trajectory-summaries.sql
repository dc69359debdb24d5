-- Trajectory summaries of the given traces from the `trajectories` view, with the trajectory-level filters of
-- GET /v1/trajectories (every value bound; an empty string / NULL disables a filter).
SELECT
    id, tenant, trace_id, root_span_id, parent_trajectory_id, agent_name, agent_id, task, task_id, conversation_id,
    rollout_id, attempt_id, start_time_unix_nano, end_time_unix_nano, duration_ms, turn_count, tool_call_count,
    error_count, input_tokens, output_tokens, final_reward, final_reward_source, outcome, complete, root_trajectory_id
FROM trajectories(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, quiet_seconds = {quiet_seconds:Float64})
WHERE ({id:String} = '' OR id = {id:String})
  AND ({agent:String} = '' OR agent_name = {agent:String})
  AND ({task:String} = '' OR task_id = {task:String} OR task = {task:String})
  AND ({outcome:String} = '' OR outcome = {outcome:String})
  AND ({min_reward:Nullable(Float64)} IS NULL OR final_reward >= {min_reward:Nullable(Float64)})
  AND ({max_reward:Nullable(Float64)} IS NULL OR final_reward <= {max_reward:Nullable(Float64)})
  AND ({complete:Nullable(Bool)} IS NULL OR complete = {complete:Nullable(Bool)})
ORDER BY start_ns, id
