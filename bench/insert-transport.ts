/**
 * Insert transports of the embedded store, side by side in one process on the real `spans` table (issue 16): the
 * same JSONEachRow bytes through chdb's `rawInsert` (the baseline), through `store.insertJsonEachRow` with
 * `stagedInserts` (a staging file read by `FROM INFILE`), and through `FROM INFILE` with settings that might
 * change the rate (explicit no compression, parallel parsing off or in smaller chunks, larger insert blocks). Every
 * file transport pays for writing its file and unlinking it. Each configuration inserts the same rows; the order of
 * transports rotates batch by batch, and each number is the median of the repetitions beside rawInsert's median
 * from the same run. CPU is the whole process's (ClickHouse runs in-process). gzip files and Native files were
 * measured by this bench's first version (commit df946e5; docs/decisions/2026-12-02-insert-transport.md).
 *
 * Standalone: `node bin/run-ts.mjs bench/insert-transport.ts [totalMiB] [repetitions] [transport names, |-separated]`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createChdbConnection } from 'chdb/connection';
import { decodeTracesProtobuf } from '../collector/otlp/index.ts';
import { mapSpan } from '../src/conventions/index.ts';
import { openMigratedStore } from '../src/store/migrate.ts';
import { spanRow } from '../src/store/span-row.ts';
import { temporaryDirectory } from '../test/helpers/test-receiver.ts';
import { encodedAgentRequests } from './genai-spans.ts';

const totalMebibytes = Number(process.argv[2] ?? 64);
const repetitions = Number(process.argv[3] ?? 3);
const batchMebibytes = [4, 16, 32];
const jsonSettings = 'input_format_json_read_objects_as_strings = 1, input_format_json_read_arrays_as_strings = 1';

const dataDir = temporaryDirectory('bench-insert-transport-');
const store = await openMigratedStore({ dataDir, stagedInserts: true });
// A second connection on the same bound path (libchdb allows several per process) keeps rawInsert reachable
// whichever transport the store itself uses.
const raw = createChdbConnection({ path: resolve(dataDir, 'clickhouse') });
const staging = join(dataDir, 'bench-staging');
mkdirSync(staging, { recursive: true });

function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function run(query: string): Promise<void> {
  await store.client.command({ query });
}

/** A staged file: written by Node, inserted by ClickHouse, always removed. */
async function throughFile(bytes: Buffer | Uint8Array, extension: string, insert: (path: string) => string) {
  const path = join(staging, `${randomUUID()}.${extension}`);
  try {
    await writeFile(path, bytes);
    await run(insert(path));
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

type Transport = { name: string; insert: (table: string, batch: Buffer) => Promise<void> };

/** FROM INFILE of a staged JSONEachRow file with `extraSettings` beside the JSON text settings. */
function fromInfile(name: string, options: { compression?: string; extraSettings?: string } = {}): Transport {
  const compression = options.compression ? ` COMPRESSION ${sqlString(options.compression)}` : '';
  const settings = options.extraSettings ? `${jsonSettings}, ${options.extraSettings}` : jsonSettings;
  return {
    name,
    insert: (table, batch) =>
      throughFile(
        batch,
        'jsonl',
        (path) =>
          `INSERT INTO ${table} FROM INFILE ${sqlString(path)}${compression} SETTINGS ${settings} FORMAT JSONEachRow`,
      ),
  };
}

const allTransports: Transport[] = [
  {
    name: 'rawInsert (baseline)',
    insert: async (table, batch) => {
      await raw.chdb.rawInsert({
        table: `trajectories.${table}`,
        values: batch,
        format: 'JSONEachRow',
        settings: {
          input_format_json_read_objects_as_strings: 1,
          input_format_json_read_arrays_as_strings: 1,
        },
      });
    },
  },
  // The store's own staged path (src/store/client.ts with `stagedInserts`, insert-staging.ts).
  { name: 'store.insertJsonEachRow (staged)', insert: (table, batch) => store.insertJsonEachRow(table, batch) },
  fromInfile('FROM INFILE'),
  fromInfile("FROM INFILE, COMPRESSION 'none'", { compression: 'none' }),
  fromInfile('FROM INFILE, parallel parsing off', { extraSettings: 'input_format_parallel_parsing = 0' }),
  // Parallel parsing cuts the input in chunks of this size (10 MiB by default): a 4 MiB batch is one chunk.
  fromInfile('FROM INFILE, 1 MiB parsing chunks', {
    extraSettings: 'min_chunk_bytes_for_parallel_parsing = 1048576',
  }),
  // Defaults 1048449 rows and 256 MiB: a batch of at most 32 MiB is one block already; larger should change nothing.
  fromInfile('FROM INFILE, 4x larger insert blocks', {
    extraSettings:
      'max_insert_block_size = 4193796, min_insert_block_size_rows = 4193796, min_insert_block_size_bytes = 1073741824',
  }),
];
/** The baseline and, given a third argument (`name|name`), only the transports it names. */
const only = process.argv[4]?.split('|');
const transports = allTransports.filter((transport, index) => index === 0 || !only || only.includes(transport.name));

/** Rows exactly as the receiver writes them (bench/ingest.ts `rowsOf`), one Buffer per OTLP request. */
async function realisticRows(mebibytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let bytes = 0;
  while (bytes < mebibytes * 1024 * 1024) {
    const { bodies } = await encodedAgentRequests(20, 50);
    for (const body of bodies) {
      const decoded = decodeTracesProtobuf(body, { maxAttributeBytes: 4 * 1024 * 1024 });
      const part = Buffer.from(
        decoded.spans.map((span) => JSON.stringify(spanRow('default', span, mapSpan(span)))).join('\n') + '\n',
      );
      parts.push(part);
      bytes += part.byteLength;
    }
  }
  return Buffer.concat(parts);
}

/** Cuts `rows` at line ends into batches of about `mebibytes` each. */
function batchesOf(rows: Buffer, mebibytes: number): Buffer[] {
  const batches: Buffer[] = [];
  let start = 0;
  while (start < rows.byteLength) {
    const cut = rows.indexOf(0x0a, Math.min(rows.byteLength - 1, start + mebibytes * 1024 * 1024 - 1));
    const end = cut === -1 ? rows.byteLength : cut + 1;
    batches.push(rows.subarray(start, end));
    start = end;
  }
  return batches;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Each transport stores every row of a batch: inserted under its own tenant, counted back. */
async function verify(sample: Buffer): Promise<void> {
  const probe = batchesOf(sample, 1)[0]!;
  const lines = probe.toString().split('\n').filter(Boolean).length;
  for (const [index, transport] of transports.entries()) {
    const tenant = `verify-${index}`;
    const rows = Buffer.from(probe.toString().replaceAll('"tenant":"default"', `"tenant":"${tenant}"`));
    await transport.insert('spans', rows);
    const result = await store.client.query({
      query: 'SELECT count() AS n FROM spans FINAL WHERE tenant = {tenant:String}',
      query_params: { tenant },
      format: 'JSONEachRow',
    });
    const n = (await result.json<{ n: string | number }>())[0]?.n;
    if (Number(n) !== lines) throw new Error(`${transport.name} stored ${n} of ${lines} rows`);
  }
}

process.stderr.write(`insert-transport: building ${totalMebibytes} MiB of realistic span rows...\n`);
const rows = await realisticRows(totalMebibytes);
const rowCount = rows.toString('latin1').split('\n').length - 1;
await verify(rows);

console.log(
  `insert transports, embedded spans table: ${(rows.byteLength / 1024 / 1024).toFixed(0)} MiB, ${rowCount} rows ` +
    `(${(rows.byteLength / rowCount).toFixed(0)} B/row) per configuration, median of ${repetitions}`,
);
console.log('| batch | transport | MB/s | ratio to rawInsert | CPU s per GB |');
console.log('|---|---|---|---|---|');
for (const mebibytes of batchMebibytes) {
  const batches = batchesOf(rows, mebibytes);
  const seconds = new Map<string, number[]>();
  const cpuSeconds = new Map<string, number[]>();
  for (let repetition = 0; repetition < repetitions; repetition++) {
    // Transports take turns batch by batch, so the load other processes put on the machine falls on all of them.
    const elapsed = new Map<string, number>();
    const cpu = new Map<string, number>();
    for (const [index, batch] of batches.entries()) {
      for (let offset = 0; offset < transports.length; offset++) {
        const transport = transports[(repetition + index + offset) % transports.length]!;
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        await transport.insert('spans', batch);
        const seconds = (performance.now() - started) / 1000;
        const used = process.cpuUsage(cpuBefore);
        elapsed.set(transport.name, (elapsed.get(transport.name) ?? 0) + seconds);
        cpu.set(transport.name, (cpu.get(transport.name) ?? 0) + (used.user + used.system) / 1e6);
      }
    }
    for (const transport of transports) {
      seconds.set(transport.name, [...(seconds.get(transport.name) ?? []), elapsed.get(transport.name)!]);
      cpuSeconds.set(transport.name, [...(cpuSeconds.get(transport.name) ?? []), cpu.get(transport.name)!]);
    }
    // Merges of the rows just inserted would otherwise land on whichever configuration runs next.
    await run('OPTIMIZE TABLE spans FINAL');
  }
  const baseline = median(seconds.get(transports[0]!.name)!);
  for (const transport of transports) {
    const time = median(seconds.get(transport.name)!);
    const megabytesPerSecond = rows.byteLength / 1e6 / time;
    const cpuPerGigabyte = median(cpuSeconds.get(transport.name)!) / (rows.byteLength / 1e9);
    console.log(
      `| ${mebibytes} MiB x ${batches.length} | ${transport.name} | ${megabytesPerSecond.toFixed(0)} | ` +
        `${(baseline / time).toFixed(2)}x | ${cpuPerGigabyte.toFixed(1)} |`,
    );
  }
}

/** The dead-letter path inserts one row at a time: latency of a single-row insert. */
const oneRow = rows.subarray(0, rows.indexOf(0x0a) + 1);
const singleRowTimes = new Map<string, number[]>();
for (let repetition = 0; repetition < 3; repetition++) {
  for (const transport of transports.slice(0, 2)) {
    const started = performance.now();
    for (let index = 0; index < 50; index++) await transport.insert('spans', oneRow);
    singleRowTimes.set(transport.name, [
      ...(singleRowTimes.get(transport.name) ?? []),
      (performance.now() - started) / 50,
    ]);
  }
}
const singleBaseline = median(singleRowTimes.get(transports[0]!.name)!);
for (const [name, times] of singleRowTimes) {
  console.log(
    `single-row insert, ${name}: ${median(times).toFixed(2)} ms (${(singleBaseline / median(times)).toFixed(2)}x)`,
  );
}

await raw.close();
await store.close();
rmSync(dataDir, { recursive: true, force: true });
