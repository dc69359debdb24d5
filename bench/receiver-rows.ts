/**
 * The rows the receiver writes for OTLP trace requests, table by table, for the benchmarks' raw-insert baselines.
 * They come from the receiver's own Ingestor (decode -> convention mapping -> row encoding) with a write-ahead
 * log that only captures what would be appended, so a change to the row design (new tables such as `contents`)
 * reaches the baselines without touching them. This is the one place to change if that ever stops being true.
 */
import { decodeTracesProtobuf } from '../collector/otlp/index.ts';
import { Ingestor } from '../collector/ingest/ingestor.ts';
import type { StoreWriter } from '../collector/ingest/store-writer.ts';
import type { WalRecord, WriteAheadLog } from '../collector/ingest/write-ahead-log.ts';
import type { Store } from '../src/store/client.ts';

export interface TableRows {
  table: string;
  /** Newline-delimited JSON rows, as `store.insertJsonEachRow(table, payload)` takes them. */
  payload: Buffer;
  rows: number;
}

/** Matches the receiver's default `--max-attribute-bytes` generously: benchmarks never want a span refused. */
const decodeLimits = { maxAttributeBytes: 4 * 1024 * 1024 };

/**
 * Per request body, the rows the receiver appends for it, in the order it appends them (insert them in that
 * order). The same Ingestor is used for every body, as one receiver would.
 */
export async function receiverRows(bodies: Uint8Array[], tenant = 'default'): Promise<TableRows[][]> {
  let captured: WalRecord[] = [];
  const capturingLog = {
    failure: undefined,
    pendingBytes: 0,
    append: (records: WalRecord[]) => {
      captured.push(...records);
      return Promise.resolve();
    },
  } as unknown as WriteAheadLog;
  const ingestor = new Ingestor(capturingLog, {} as StoreWriter, {
    maxPendingBytes: Infinity,
    maxLogBytes: Infinity,
  });
  const perBody: TableRows[][] = [];
  for (const body of bodies) {
    captured = [];
    const result = await ingestor.ingestTraces(tenant, decodeTracesProtobuf(body, decodeLimits));
    if (result.status !== 'accepted') throw new Error(`the ingestor refused a benchmark request: ${result.status}`);
    perBody.push(captured.map(({ table, payload, rows }) => ({ table, payload, rows })));
  }
  return perBody;
}

/**
 * Groups consecutive request bodies into insert batches of at most `maxBatchBytes` of rows (at least one body
 * each), as the receiver's writer reads its log (its default `maxBatchBytes` is 32 MiB). Returns body indices.
 */
export function insertBatches(perBody: TableRows[][], maxBatchBytes = 32 * 1024 * 1024): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  perBody.forEach((records, index) => {
    const size = records.reduce((total, record) => total + record.payload.byteLength, 0);
    if (current.length > 0 && bytes + size > maxBatchBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The raw-insert baseline: the receiver's rows of `bodies` inserted in the receiver writer's batches. The rows
 * are built before the clock starts and dropped after. Returns spans per second, the batches (for the floor, which
 * inserts in the same batches) and the tables written.
 */
export async function rawInsertRate(
  store: Store,
  bodies: Uint8Array[],
  spans: number,
): Promise<{ spansPerSecond: number; batches: number[][]; tables: string[] }> {
  const perBody = await receiverRows(bodies);
  const batches = insertBatches(perBody);
  const seconds = await insertReceiverRows(store, perBody, batches);
  return { spansPerSecond: spans / seconds, batches, tables: tablesOf(perBody) };
}

/** The tables the rows go to, in the order the receiver appends them. */
export function tablesOf(perBody: TableRows[][]): string[] {
  return [...new Set(perBody.flatMap((records) => records.map((record) => record.table)))];
}

/**
 * Inserts the rows batch by batch, one insert per table per batch (tables in the order the receiver appends
 * them), as the receiver's writer does. Returns the seconds it took.
 */
export async function insertReceiverRows(store: Store, perBody: TableRows[][], batches: number[][]): Promise<number> {
  const started = performance.now();
  for (const batch of batches) {
    const byTable = new Map<string, Buffer[]>();
    for (const index of batch) {
      for (const record of perBody[index]!) {
        const payloads = byTable.get(record.table) ?? [];
        payloads.push(record.payload);
        byTable.set(record.table, payloads);
      }
    }
    for (const [table, payloads] of byTable) await store.insertJsonEachRow(table, Buffer.concat(payloads));
  }
  return (performance.now() - started) / 1000;
}
