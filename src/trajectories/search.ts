/**
 * Similar successful trajectories for a new task (context learning): traces ranked by ClickHouse's n-gram
 * similarity of the query to their task description and first user message (from `trace_index`, one row per
 * trace), then the best candidates are assembled and only successful ones with a final reward >= min_reward are
 * kept. An embedding ranker can replace the candidate step; this default needs no model.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { TrajectorySummary } from '../model/trajectory.ts';
import { loadSql } from '../store/sql-files.ts';
import { readSummaries } from './read-trajectories.ts';
import { resolveTrajectorySettings, type TrajectorySettings } from './settings.ts';

export interface SearchResult extends TrajectorySummary {
  similarity: number;
}

export async function searchTrajectories(
  client: ClickHouseClient,
  tenant: string,
  query: { q: string; min_reward?: number | undefined; limit: number },
  options: Partial<TrajectorySettings> = {},
): Promise<SearchResult[]> {
  const settings = resolveTrajectorySettings(options);
  // Candidates beyond the limit: some will not be successful.
  const result = await client.query({
    query: loadSql('queries/trajectory-search.sql'),
    query_params: { tenant, q: query.q, limit: query.limit * 5 },
    format: 'JSONEachRow',
  });
  const candidates = await result.json<{ trace_id: string; similarity: number | string }>();
  const similarity = new Map(candidates.map((row) => [row.trace_id, Number(row.similarity)]));
  const summaries = await readSummaries(
    client,
    tenant,
    candidates.map((row) => row.trace_id),
    { outcome: 'success', min_reward: query.min_reward },
    settings,
  );
  return summaries
    .map((summary) => ({ ...summary, similarity: similarity.get(summary.trace_id) ?? 0 }))
    .sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1))
    .slice(0, query.limit);
}
