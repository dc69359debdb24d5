/**
 * GRPO group statistics for one export, read once instead of once per batch. A trajectory's group is every
 * complete, rewarded trajectory of its task: the ones a batch assembled count with their live values, the rest
 * with their stored summaries (as `getTrajectories` counts them on its own). The stored members of the export's
 * tasks are read in one query up front (export-group-members.sql); each batch leaves out the members stored for
 * its own traces and adds its live ones. Tasks too large to hold their members in memory, and task ids the stored
 * summaries did not name (not summarized yet, or stale), fall back to the per-batch query.
 *
 * The statistics are folded over the member rewards sorted by value, so they depend only on which rewards are in
 * the group, not on how the export was cut into batches: a group that spans batches gets the same mean and
 * variance, to the last bit, in every batch and at every batch size.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { loadSqlFile } from '../store/sql-files.ts';
import { addToGroup, emptyGroup, type GroupStats } from '../trajectories/credit.ts';
import { readStoredGroupStats, type GroupStatsRequest } from '../trajectories/read-trajectories.ts';
import { openQuietSeconds, resolveTrajectorySettings, type TrajectorySettings } from '../trajectories/settings.ts';

/** Members held per task; a larger task is asked for per batch. @default 10_000 */
export const groupMemberLimit = 10_000;

interface MemberRow {
  task_id: string;
  members: number | string;
  rewards: Array<[string, number | string]>;
}

interface StoredMember {
  traceId: string;
  reward: number;
}

export type ExportGroupStats = (request: GroupStatsRequest) => Promise<Map<string, GroupStats>>;

function foldSorted(rewards: number[]): GroupStats {
  rewards.sort((a, b) => a - b);
  let group = emptyGroup;
  for (const reward of rewards) group = addToGroup(group, reward);
  return group;
}

/** Reads the stored members of `taskIds` once and answers each batch's group statistics from them. */
export async function readExportGroups(
  client: ClickHouseClient,
  tenant: string,
  taskIds: string[],
  options: Partial<TrajectorySettings> = {},
): Promise<ExportGroupStats> {
  const settings = resolveTrajectorySettings(options);
  const held = new Map<string, StoredMember[]>();
  const tooLarge = new Set<string>();
  if (taskIds.length > 0) {
    const result = await client.query({
      query: loadSqlFile(new URL('./export-group-members.sql', import.meta.url)),
      query_params: {
        tenant,
        task_ids: taskIds,
        member_limit: groupMemberLimit,
        quiet_seconds: settings.quietSeconds,
        open_quiet_seconds: openQuietSeconds(settings),
      },
      format: 'JSONEachRow',
    });
    for (const row of await result.json<MemberRow>()) {
      if (Number(row.members) > groupMemberLimit) tooLarge.add(row.task_id);
      else
        held.set(
          row.task_id,
          row.rewards.map(([traceId, reward]) => ({ traceId, reward: Number(reward) })),
        );
    }
  }
  // Tasks the query returned no row for have no stored members: an empty group, unless a batch names a task id
  // the export did not ask about (its stored members are unknown, so that batch asks).
  const asked = new Set(taskIds);
  return async ({ traceIds, taskIds: batchTasks, assembled }) => {
    const ownTraces = new Set(traceIds);
    const unknown = new Set(batchTasks.filter((taskId) => tooLarge.has(taskId) || !asked.has(taskId)));
    const fallback = await readStoredGroupStats(client, tenant, traceIds, [...unknown], settings);
    const liveByTask = new Map<string, number[]>();
    for (const { summary } of assembled) {
      if (summary.final_reward === null || !summary.complete) continue;
      const rewards = liveByTask.get(summary.task_id);
      if (rewards) rewards.push(summary.final_reward);
      else liveByTask.set(summary.task_id, [summary.final_reward]);
    }
    const groups = new Map<string, GroupStats>();
    for (const taskId of batchTasks) {
      const live = liveByTask.get(taskId) ?? [];
      if (unknown.has(taskId)) {
        // As the per-batch read does: the stored statistics, then the live members in assembly order.
        let group = fallback.get(taskId) ?? emptyGroup;
        for (const reward of live) group = addToGroup(group, reward);
        groups.set(taskId, group);
        continue;
      }
      const stored = (held.get(taskId) ?? [])
        .filter((member) => !ownTraces.has(member.traceId))
        .map((member) => member.reward);
      groups.set(taskId, foldSorted([...stored, ...live]));
    }
    return groups;
  };
}
