/**
 * The trajectories one analysis (failures, tools) reads: for a task text the ones most similar to it (the n-gram
 * search, re-ranked by embeddings when configured), otherwise the most recent ones of the agent / task id. They are
 * assembled live in batches and handed to the caller one at a time, so an analysis aggregates as it goes and never
 * holds more than one batch of full trajectories.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Trajectory } from '../model/trajectory.ts';
import { getTrajectories, withoutGroupStats, listTrajectories } from '../trajectories/read-trajectories.ts';
import { minNgramSimilarity, searchTrajectories, type SearchOptions } from '../trajectories/search.ts';
import type { TrajectoryFilters } from '../trajectories/filters.ts';

export interface AnalysisSelection {
  task?: string | undefined;
  agent?: string | undefined;
  task_id?: string | undefined;
  /** How many trajectories at most. */
  sample: number;
}

/** Which input chose the sample: a task text wins over a task id, which wins over an agent. */
export type AnalysisScope = 'task' | 'task_id' | 'agent';

export function scopeOf(selection: AnalysisSelection): AnalysisScope {
  if (selection.task !== undefined) return 'task';
  return selection.task_id !== undefined ? 'task_id' : 'agent';
}

export type Verdict = 'failed' | 'succeeded' | 'unknown';

/**
 * Failed when the outcome is failure or, with `maxReward`, the final reward is below it; succeeded when the outcome
 * is success (and the reward reaches `maxReward` when given); unknown otherwise (counted in neither rate).
 */
export function verdictOf(trajectory: Trajectory, maxReward?: number): Verdict {
  const reward = trajectory.final_reward;
  if (trajectory.outcome === 'failure') return 'failed';
  if (maxReward !== undefined && reward !== null && reward < maxReward) return 'failed';
  if (trajectory.outcome === 'success') return 'succeeded';
  return 'unknown';
}

/** Trajectories assembled per read: large enough to amortise the span reads, small enough to bound memory. */
export const analysisBatchSize = 256;
/**
 * Embeddings re-rank a pool of 20 candidates per wanted trajectory, each embedded once (then cached): for a sample of
 * thousands that is one request of up to 100k texts to the endpoint. Larger samples are ranked by n-grams alone,
 * where the fine order among the top hundreds matters little.
 */
export const maxEmbeddingRankedSample = 100;
/** The listing's own page bound. */
const listPageSize = 1000;

async function sampledIds(
  client: ClickHouseClient,
  tenant: string,
  selection: AnalysisSelection,
  options: SearchOptions,
): Promise<string[]> {
  const filters: TrajectoryFilters = {
    ...(selection.agent !== undefined ? { agent: selection.agent } : {}),
    ...(selection.task_id !== undefined ? { task: selection.task_id } : {}),
  };
  if (selection.task !== undefined) {
    const ranking = selection.sample <= maxEmbeddingRankedSample ? options : { ...options, embeddings: undefined };
    const similar = await searchTrajectories(
      client,
      tenant,
      { q: selection.task, limit: selection.sample, filters, minSimilarity: minNgramSimilarity },
      ranking,
    );
    return similar.map((hit) => hit.id);
  }
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listTrajectories(
      client,
      tenant,
      filters,
      { limit: Math.min(listPageSize, selection.sample - ids.length), cursor },
      options,
    );
    ids.push(...page.trajectories.map((summary) => summary.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined && ids.length < selection.sample);
  return ids;
}

/** Calls `visit` with each sampled trajectory (most similar or most recent first); returns how many there were. */
export async function forEachSampledTrajectory(
  client: ClickHouseClient,
  tenant: string,
  selection: AnalysisSelection,
  options: SearchOptions,
  visit: (trajectory: Trajectory) => void,
): Promise<number> {
  const ids = await sampledIds(client, tenant, selection, options);
  let visited = 0;
  for (let start = 0; start < ids.length; start += analysisBatchSize) {
    if (start > 0) await yieldToEventLoop();
    const batch = await getTrajectories(
      client,
      tenant,
      ids.slice(start, start + analysisBatchSize),
      options,
      withoutGroupStats,
    );
    for (const trajectory of batch) {
      if (!trajectory) continue;
      visit(trajectory);
      visited += 1;
    }
  }
  return visited;
}
