-- GRPO group members for one export (src/exporters/export-groups.ts), read once instead of once per batch: per
-- task id of the export, the complete trajectories with a final reward in `trajectory_summaries` (the same member
-- rule as queries/trajectory-group-stats.sql, without its exclusion of the traces being assembled: each batch
-- leaves out its own traces in TypeScript). A task with more than {member_limit} members lists none; batches ask
-- for those tasks' statistics the per-batch way.
SELECT
    task_id,
    count() AS members,
    if(count() <= {member_limit:UInt32}, arraySort(groupArray((trace_id, reward))), []) AS rewards
FROM
(
    SELECT task_id, trace_id, assumeNotNull(final_reward) AS reward
    FROM trajectory_summaries FINAL
    WHERE tenant = {tenant:String}
      AND task_id != ''
      AND has({task_ids:Array(String)}, task_id)
      AND final_reward IS NOT NULL AND has_root = 1
      AND last_ingested_ms <= toUnixTimestamp64Milli(now64(3)) - toInt64(if(match(id, '^[0-9a-f]{32}$'), {open_quiet_seconds:Float64}, {quiet_seconds:Float64}) * 1000)
)
GROUP BY task_id
