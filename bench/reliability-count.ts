/**
 * What a kill storm left in ClickHouse, read from the data directory in this process once no receiver holds it
 * (libchdb binds one data directory per process): every stored (trace id, span id) with its row count as stored
 * and after FINAL, against the keys the clients saw acknowledged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMigratedStore } from '../src/store/migrate.ts';

export interface StormCount {
  acknowledged: number;
  /** Distinct acknowledged keys found in the store. */
  stored: number;
  /** Acknowledged but not stored. */
  lost: number;
  /** Stored but never acknowledged (a request the receiver logged before it died, then refused on retry). */
  unacknowledgedStored: number;
  /** Rows beyond the first per key as stored (replay may create them until ClickHouse merges). */
  rawDuplicates: number;
  /** Rows beyond the first per key after FINAL: must be 0. */
  finalDuplicates: number;
  deadLetterRows: number;
  /** Up to five lost keys, to start looking from. */
  lostExamples: string[];
}

interface KeyCopies {
  key: string;
  copies: string;
}

export async function countStorm(dataDir: string, acknowledgedKeys: Set<string>): Promise<StormCount> {
  const store = await openMigratedStore({ dataDir, schema: 'verify' });
  try {
    const copiesPerKey = async (from: string) =>
      (
        await (
          await store.client.query({
            query: `SELECT concat(trace_id, '/', span_id) AS key, count() AS copies FROM ${from}
                    WHERE tenant = 'default' GROUP BY key`,
            format: 'JSONEachRow',
          })
        ).json<KeyCopies>()
      ).map(({ key, copies }) => ({ key, copies: Number(copies) }));
    const raw = await copiesPerKey('spans');
    const final = await copiesPerKey('spans FINAL');
    const storedKeys = new Set(raw.map(({ key }) => key));
    const lostKeys = [...acknowledgedKeys].filter((key) => !storedKeys.has(key));
    const extraCopies = (rows: { copies: number }[]) => rows.reduce((sum, { copies }) => sum + copies - 1, 0);
    return {
      acknowledged: acknowledgedKeys.size,
      stored: acknowledgedKeys.size - lostKeys.length,
      lost: lostKeys.length,
      unacknowledgedStored: [...storedKeys].filter((key) => !acknowledgedKeys.has(key)).length,
      rawDuplicates: extraCopies(raw),
      finalDuplicates: extraCopies(final),
      deadLetterRows: deadLetterRows(dataDir),
      lostExamples: lostKeys.slice(0, 5),
    };
  } finally {
    await store.close();
  }
}

function deadLetterRows(dataDir: string): number {
  const path = join(dataDir, 'dead-letter.jsonl');
  if (!existsSync(path)) return 0;
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '').length;
}
