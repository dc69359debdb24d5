-- GRPO group statistics for GET /v1/trajectories/{id}, from `trajectory_summaries`: per task id, the complete
-- trajectories with a final reward, excluding the traces being assembled (the caller adds their live values, so a
-- stale summary of the requested trajectory never skews its own group). The task ids are the given ones plus the
-- stored task ids of those traces, so this runs in parallel with the span read that yields the live task id.
SELECT
    task_id,
    countIf(member) AS members,
    avgIf(reward, member) AS mean,
    varPopIf(reward, member) AS variance
FROM
(
    SELECT
        task_id,
        ifNull(final_reward, 0) AS reward,
        final_reward IS NOT NULL AND has_root = 1 AND NOT has({trace_ids:Array(String)}, trace_id)
            AND last_ingested_ms <= toUnixTimestamp64Milli(now64(3)) - toInt64(if(match(id, '^[0-9a-f]{32}$'), {open_quiet_seconds:Float64}, {quiet_seconds:Float64}) * 1000) AS member
    FROM trajectory_summaries FINAL
    WHERE tenant = {tenant:String}
      AND task_id != ''
      AND (has({task_ids:Array(String)}, task_id)
           OR task_id IN (SELECT task_id FROM trajectory_summaries FINAL
                          WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}))
)
GROUP BY task_id
