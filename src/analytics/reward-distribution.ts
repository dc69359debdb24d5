/**
 * The distribution of final rewards (reward-distribution.sql): equal-width bins between the lowest and the highest
 * reward of the trajectories the analytics filters take, every bin present (empty ones with 0), so a histogram
 * needs no gap filling. No rewarded trajectory: no bins.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { loadSqlFile } from '../store/sql-files.ts';
import { maxUnixNanoseconds } from '../trajectories/filters.ts';
import type { AnalyticsFilters } from './read-analytics.ts';

const distributionQuery = new URL('./reward-distribution.sql', import.meta.url);

export interface RewardBin {
  /** Inclusive. */
  lower: number;
  /** Exclusive, but for the last bin, which holds the highest reward. */
  upper: number;
  trajectories: number;
}

interface BinRow {
  bin: number | string;
  trajectories: number | string;
  lowest_reward: number;
  highest_reward: number;
}

export async function readRewardDistribution(
  client: ClickHouseClient,
  tenant: string,
  filters: AnalyticsFilters,
  bins: number,
): Promise<RewardBin[]> {
  const result = await client.query({
    query: loadSqlFile(distributionQuery),
    query_params: {
      tenant,
      agent: filters.agent ?? '',
      task: filters.task ?? '',
      model: filters.model ?? '',
      since_ns: (filters.since ?? 0n).toString(),
      until_ns: (filters.until ?? maxUnixNanoseconds).toString(),
      bins,
    },
    format: 'JSONEachRow',
  });
  const rows = await result.json<BinRow>();
  const [first] = rows;
  if (!first) return [];
  const { lowest_reward: lowest, highest_reward: highest } = first;
  const width = highest > lowest ? (highest - lowest) / bins : 0;
  const counts = new Map(rows.map((row) => [Number(row.bin), Number(row.trajectories)]));
  // One reward value: one bin of zero width says so better than `bins` bins around it.
  const binCount = width === 0 ? 1 : bins;
  return Array.from({ length: binCount }, (_, index) => ({
    lower: lowest + index * width,
    upper: index === binCount - 1 ? highest : lowest + (index + 1) * width,
    trajectories: counts.get(index) ?? 0,
  }));
}
