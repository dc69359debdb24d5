-- The `credit` view. Its TypeScript twin is credit.ts; re-applied on every start.
--
-- Credit per LLM call. With T turns, final reward R, AIR rewards a_k and gamma:
--   identical   = R                                   (LightningRL: every call gets the final reward)
--   discounted  = gamma^(T-1-t) * R
--   air_shaped  = sum_{k>=t} gamma^(k-t) * a_k + gamma^(T-1-t) * R
--   advantage   = (R - mean) / std over the complete trajectories with a final reward and the same task_id among
--                 `group_trace_ids` ([] = all traces of the tenant); population std; 0 for a group of one or a
--                 std below 1e-12; NULL when this trajectory is incomplete or has no final reward.
-- All are NULL without a final reward.
CREATE OR REPLACE VIEW credit {{on_cluster}} AS
WITH
    trajectory AS
    (
        SELECT id, tenant, trace_id, task_id, final_reward, complete
        FROM trajectories(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, quiet_seconds = {quiet_seconds:Float64})
    ),
    task_group AS
    (
        SELECT task_id, count() AS members, avg(assumeNotNull(final_reward)) AS mean, stddevPop(assumeNotNull(final_reward)) AS std
        FROM trajectories(tenant = {tenant:String}, trace_ids = {group_trace_ids:Array(String)}, quiet_seconds = {quiet_seconds:Float64})
        WHERE complete AND final_reward IS NOT NULL AND task_id != ''
        GROUP BY task_id
    ),
    turn_rewards AS
    (
        SELECT trajectory_id,
               arraySort(turn -> turn.1, groupArray((index, span_id, air_reward))) AS ordered,
               -- Discounted suffix sums of the AIR rewards, built from the last turn backwards.
               arrayReverse(arrayFold((sums, reward) -> arrayPushBack(sums, toFloat64(ifNull(reward, 0)) + {gamma:Float64} * if(empty(sums), 0, sums[-1])),
                                      arrayReverse(arrayMap(turn -> turn.3, ordered)), CAST([], 'Array(Float64)'))) AS air_returns
        FROM turns(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        GROUP BY trajectory_id
    )
SELECT
    trajectory.tenant AS tenant,
    trajectory.trace_id AS trace_id,
    trajectory.id AS trajectory_id,
    trajectory.task_id AS task_id,
    turn.1 AS turn_index,
    turn.2 AS span_id,
    turn.3 AS air_reward,
    trajectory.final_reward AS final_reward,
    trajectory.final_reward AS identical,
    pow({gamma:Float64}, length(turn_rewards.ordered) - 1 - turn.1) * trajectory.final_reward AS discounted,
    air_returns_element + discounted AS air_shaped,
    if(trajectory.complete AND trajectory.final_reward IS NOT NULL,
       multiIf(task_group.members <= 1, 0, task_group.std < 1e-12, 0,
               (assumeNotNull(trajectory.final_reward) - task_group.mean) / task_group.std),
       NULL) AS advantage,
    task_group.members AS group_size,
    task_group.mean AS group_mean,
    task_group.std AS group_std
FROM trajectory
INNER JOIN turn_rewards ON turn_rewards.trajectory_id = trajectory.id
LEFT JOIN task_group ON task_group.task_id = trajectory.task_id
ARRAY JOIN turn_rewards.ordered AS turn, turn_rewards.air_returns AS air_returns_element;
