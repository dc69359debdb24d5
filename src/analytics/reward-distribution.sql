-- The distribution of final rewards over one tenant's trajectories, as `bins` equal-width bins from the lowest to
-- the highest reward taken (GET /v1/analytics/rewards, reward-distribution.ts). The trajectories taken are those of
-- analytics-groups.sql: starting in [since_ns, until_ns), of the agent, of the task (id or exact description), that
-- called the model ('' = any), and here only those with a final reward. A reward equal to the highest falls in the
-- last bin; when every reward is the same, all fall in the first.
WITH
    chosen AS
    (
        SELECT final_reward
        FROM trajectory_summaries FINAL
        WHERE tenant = {tenant:String}
          AND start_ns >= {since_ns:UInt64} AND start_ns < {until_ns:UInt64}
          AND final_reward IS NOT NULL
          AND ({agent:String} = '' OR agent_name = {agent:String})
          AND ({task:String} = '' OR task_id = {task:String} OR task = {task:String})
          AND ({model:String} = '' OR id IN
              (
                  SELECT trajectory_id FROM trajectory_calls FINAL
                  WHERE tenant = {tenant:String} AND kind = 'llm' AND model = {model:String}
              ))
    ),
    bounds AS (SELECT min(final_reward) AS lowest, max(final_reward) AS highest FROM chosen)
SELECT
    least(toUInt32(floor((assumeNotNull(final_reward) - lowest) / if(highest > lowest, highest - lowest, 1) * {bins:UInt32})), {bins:UInt32} - 1) AS bin,
    count() AS trajectories,
    any(lowest) AS lowest_reward,
    any(highest) AS highest_reward
FROM chosen CROSS JOIN bounds
GROUP BY bin
ORDER BY bin
