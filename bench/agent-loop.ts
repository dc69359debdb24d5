/**
 * The agent-loop benchmark (issue 16): trajectories of 5, 20 and 80 chat calls that re-send the whole history
 * each call, through OTLP/HTTP into a receiver process, timed until stored; beside it, in the same run, the raw
 * insert of the very same rows (bench/receiver-rows.ts) and the store's floor (one String column of span
 * protobufs, bench/store-floor.ts). Then the bytes on disk per trajectory after merges against the distinct
 * content compressed the same way the store compresses (bench/store-disk.ts, in a process of its own).
 *
 * `BENCH_AGENT_LOOP_SPANS` (default 24000) sets the spans per trajectory length; `BENCH_AGENT_LOOP_CALLS`
 * (default `5,20,80`) the lengths.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMigratedStore } from '../src/store/migrate.ts';
import type { Store } from '../src/store/client.ts';
import { temporaryDirectory } from '../test/helpers/test-receiver.ts';
import { encodedAgentLoopRequests } from './agent-loop-spans.ts';
import { postAll, startReceiverProcess, stopReceiverProcess, waitUntilStored } from './receiver-process.ts';
import { rawInsertRate } from './receiver-rows.ts';
import type { BenchResult } from './report.ts';
import type { StoreDisk } from './store-disk.ts';
import { measureStoreFloor } from './store-floor.ts';

const runner = fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url));
const diskScript = fileURLToPath(new URL('./store-disk.ts', import.meta.url));

/** Empties the raw-insert store between trajectory lengths (schema bookkeeping stays). */
async function truncateAll(store: Store): Promise<void> {
  const result = await store.client.query({
    query: `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree%'
            AND name NOT LIKE 'schema\\_%'`,
    format: 'JSONEachRow',
  });
  for (const { name } of await result.json<{ name: string }>()) {
    await store.client.command({ query: `TRUNCATE TABLE \`${name}\`` });
  }
}

function measureDisk(dataDir: string, tables: string[], distinctContents: string[]): StoreDisk {
  const file = join(temporaryDirectory('bench-distinct-'), 'distinct.jsonl');
  writeFileSync(file, distinctContents.map((content) => JSON.stringify({ content })).join('\n') + '\n');
  const child = spawnSync(process.execPath, [runner, diskScript, dataDir, tables.join(','), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`store-disk exited with ${child.status}: ${child.stdout}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as StoreDisk;
}

async function benchCalls(store: Store, calls: number, targetSpans: number): Promise<BenchResult[]> {
  const trajectories = Math.max(1, Math.round(targetSpans / (2 * calls)));
  process.stderr.write(`agent-loop ${calls}: generating ${trajectories} trajectories with the OTel SDK...\n`);
  const generated = await encodedAgentLoopRequests({ calls, trajectories });
  const { bodies, spans } = generated;
  const megabytes = bodies.reduce((sum, body) => sum + body.byteLength, 0) / 1024 / 1024;

  process.stderr.write(`agent-loop ${calls}: raw insert of the same rows and the store's floor...\n`);
  const { spansPerSecond: rawRate, batches, tables } = await rawInsertRate(store, bodies, spans);
  const floor = await measureStoreFloor(store, bodies, batches);
  await truncateAll(store);

  process.stderr.write(`agent-loop ${calls}: ${spans} spans (${megabytes.toFixed(0)} MB) into a receiver...\n`);
  const dataDir = temporaryDirectory('bench-agent-loop-');
  const receiver = await startReceiverProcess(dataDir);
  const started = performance.now();
  await postAll(receiver.url, bodies, 8);
  await waitUntilStored(receiver.url);
  const seconds = (performance.now() - started) / 1000;
  await stopReceiverProcess(receiver.child);
  const storedRate = spans / seconds;

  process.stderr.write(`agent-loop ${calls}: bytes on disk after OPTIMIZE FINAL...\n`);
  const disk = measureDisk(dataDir, tables, generated.distinctContents);
  const distinctBytes = generated.distinctContents.reduce((sum, content) => sum + Buffer.byteLength(content), 0);
  const perTrajectory = disk.contentBytes / trajectories;
  const distinctPerTrajectory = disk.distinctContentCompressedBytes / trajectories;
  const otherTables = Object.entries(disk.tables)
    .filter(([table, bytes]) => !tables.includes(table) && bytes / trajectories >= 50)
    .map(([table, bytes]) => `${table} ${(bytes / trajectories / 1024).toFixed(1)}`)
    .join(', ');
  const label = `agent loop ${calls} calls`;
  return [
    {
      name: `${label}: stored`,
      value: Math.round(storedRate),
      unit: 'spans/s',
      baseline: Math.round(rawRate),
      ratio: storedRate / rawRate,
      note: `baseline: raw insert of the same rows; ${spans} spans, ${Math.round((megabytes * 1024 * 1024) / spans)} B protobuf/span`,
    },
    { name: `${label}: OTLP received and stored`, value: megabytes / seconds, unit: 'MB/s' },
    {
      name: `${label}: store's floor (span protobufs, 1 column)`,
      value: Math.round(floor.spansPerSecond),
      unit: 'spans/s',
      baseline: Math.round(storedRate),
      ratio: storedRate / floor.spansPerSecond,
      note: `${floor.megabytesPerSecond.toFixed(0)} MB/s of protobuf; ratio = receiver / floor`,
    },
    {
      name: `${label}: bytes on disk per trajectory`,
      value: Math.round(perTrajectory),
      unit: 'B',
      baseline: Math.round(distinctPerTrajectory),
      ratio: perTrajectory / distinctPerTrajectory,
      note:
        `baseline: distinct content compressed (ZSTD(3)), ${Math.round(distinctBytes / trajectories)} B raw; ` +
        `${Math.round(perTrajectory / calls)} B per call; ` +
        tables.map((table) => `${table} ${Math.round((disk.tables[table] ?? 0) / trajectories)} B`).join(', ') +
        (otherTables ? `; other tables (KB/trajectory): ${otherTables}` : '') +
        `; largest columns (B/trajectory): ` +
        disk.largestColumns.map(({ column, bytes }) => `${column} ${Math.round(bytes / trajectories)}`).join(', '),
    },
  ];
}

export async function benchAgentLoop(): Promise<BenchResult[]> {
  const targetSpans = Number(process.env['BENCH_AGENT_LOOP_SPANS'] ?? 24_000);
  const lengths = (process.env['BENCH_AGENT_LOOP_CALLS'] ?? '5,20,80').split(',').map(Number);
  if (!(targetSpans > 0) || lengths.some((calls) => !Number.isInteger(calls) || calls < 1)) {
    throw new Error(
      `BENCH_AGENT_LOOP_SPANS (${process.env['BENCH_AGENT_LOOP_SPANS']}) must be positive and ` +
        `BENCH_AGENT_LOOP_CALLS (${process.env['BENCH_AGENT_LOOP_CALLS']}) positive integers`,
    );
  }
  const store = await openMigratedStore({ dataDir: temporaryDirectory('bench-agent-loop-raw-') });
  const results: BenchResult[] = [];
  try {
    for (const calls of lengths) results.push(...(await benchCalls(store, calls, targetSpans)));
  } finally {
    await store.close();
  }
  return results;
}
