/** Starts a real receiver on ephemeral ports with embedded ClickHouse in a fresh temporary directory. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver, type Receiver } from '../../collector/receiver.ts';
import type { ReceiverOptions } from '../../collector/config.ts';
import { tablesByTrace } from '../../src/store/delete-traces.ts';

export function temporaryDirectory(prefix = 'trajectories-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  return startReceiver({
    httpPort: 0,
    grpcPort: 0,
    dataDir: temporaryDirectory(),
    walSync: 'none',
    batchLingerMillis: 5,
    // Agent-less trajectories wait for the stitch window before they are complete; tests that stitch set it.
    stitchWindowSeconds: options.quietSeconds ?? 60,
    // Off unless a test asks for it (port 0): the default, 8123, would be shared by test files running at once.
    sqlPort: -1,
    ...options,
  });
}

/** The rows of a query against the receiver's store, for assertions that the API does not cover. */
export async function queryRows<T>(
  receiver: Receiver,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const result = await receiver.store.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/** Rows naming the trace in each table that names traces (any tenant), by table; tables without any left out. */
export async function traceRowCounts(receiver: Receiver, traceId: string): Promise<Record<string, number>> {
  const rows = await queryRows<{ table: string; n: number | string }>(
    receiver,
    tablesByTrace
      .map((table) => `SELECT '${table}' AS table, count() AS n FROM ${table} WHERE trace_id = {id:String}`)
      .join(' UNION ALL '),
    { id: traceId },
  );
  return Object.fromEntries(rows.filter((row) => Number(row.n) > 0).map((row) => [row.table, Number(row.n)]));
}
