/**
 * Moves acknowledged rows from the write-ahead log into ClickHouse, in large batches, in log order, and commits
 * the log position only after ClickHouse has accepted a batch. Replaying after a crash may insert a batch twice;
 * the ReplacingMergeTree tables (read with FINAL) make that invisible.
 *
 * A batch that ClickHouse rejects as malformed is split to isolate the bad record, which goes to a dead-letter
 * file instead of blocking the log forever; any other failure (store down) is retried with backoff.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../../src/store/client.ts';
import type { WalPosition, WalRecord, WalTable, WriteAheadLog } from './write-ahead-log.ts';

export interface StoreWriterOptions {
  /** Largest batch read from the log for one insert. @default 32 MiB */
  maxBatchBytes?: number;
  /** How long to wait for a batch to fill before inserting what there is. @default 50 */
  lingerMillis?: number;
  /** A batch this large is inserted without waiting. @default 4 MiB */
  minBatchBytes?: number;
  /** Called with each insert failure (for logging). */
  onError?: (error: Error) => void;
}

/** ClickHouse error codes that mean "this data is bad", not "the store is unavailable". */
// Parse and conversion errors (CANNOT_PARSE_*, CANNOT_READ_ALL_DATA, TYPE_MISMATCH, INCORRECT_DATA, ...).
const dataErrorCodes = new Set(['6', '25', '26', '27', '32', '33', '38', '41', '53', '69', '70', '72', '117', '130', '131', '173']);

/** Whether ClickHouse refused the rows themselves (the embedded engine reports its code as `clickhouseCode`). */
function isDataError(error: unknown): boolean {
  const failure = error as { code?: unknown; clickhouseCode?: unknown };
  return dataErrorCodes.has(String(failure.clickhouseCode ?? failure.code ?? ''));
}

export class StoreWriter {
  private readonly store: Store;
  private readonly log: WriteAheadLog;
  private readonly deadLetterFile: string;
  private readonly maxBatchBytes: number;
  private readonly lingerMillis: number;
  private readonly minBatchBytes: number;
  private readonly onError: (error: Error) => void;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private consecutiveFailures = 0;
  private lastError: Error | undefined;
  private insertedRowsTotal = 0;

  constructor(store: Store, log: WriteAheadLog, directory: string, options: StoreWriterOptions = {}) {
    this.store = store;
    this.log = log;
    this.deadLetterFile = join(directory, 'dead-letter.jsonl');
    this.maxBatchBytes = options.maxBatchBytes ?? 32 * 1024 * 1024;
    this.lingerMillis = options.lingerMillis ?? 50;
    this.minBatchBytes = options.minBatchBytes ?? 4 * 1024 * 1024;
    this.onError = options.onError ?? (() => {});
  }

  /** True while the last insert attempt failed: the store is considered unavailable. */
  get storeFailing(): boolean {
    return this.consecutiveFailures > 0;
  }

  get lastStoreError(): Error | undefined {
    return this.lastError;
  }

  get insertedRows(): number {
    return this.insertedRowsTotal;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const unsubscribe = this.log.onAppend(() => this.wake?.());
    this.loop = this.run().finally(unsubscribe);
  }

  /** Stops after the batch in flight; with `drain`, first stores everything already in the log (bounded by `timeoutMillis`). */
  async stop(options: { drain?: boolean; timeoutMillis?: number } = {}): Promise<void> {
    if (options.drain) {
      const deadline = Date.now() + (options.timeoutMillis ?? 10_000);
      while (this.log.pendingBytes > 0 && !this.storeFailing && Date.now() < deadline) {
        this.wake?.();
        await sleep(10);
      }
    }
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async waitForWork(millis: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, millis);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const pending = this.log.pendingBytes;
      if (pending === 0) {
        await this.waitForWork(1000);
        continue;
      }
      if (pending < this.minBatchBytes) {
        // Let concurrent requests fill the batch: ClickHouse prefers few large inserts.
        await sleep(this.lingerMillis);
      }
      const from = this.log.checkpoint;
      const { records, end, bytes } = await this.log.read(from, this.maxBatchBytes);
      if (records.length === 0) {
        if (end.segment !== from.segment || end.offset !== from.offset) await this.log.commit(end, 0);
        else await this.waitForWork(this.lingerMillis);
        continue;
      }
      const stored = await this.storeBatch(records, from, end);
      if (stored) {
        await this.log.commit(end, bytes);
        this.consecutiveFailures = 0;
        this.lastError = undefined;
      } else {
        this.consecutiveFailures += 1;
        await this.waitForWork(Math.min(5000, 100 * 2 ** Math.min(this.consecutiveFailures, 6)));
      }
    }
  }

  /** Inserts one batch; false when the store is unavailable and the batch must be retried. */
  private async storeBatch(records: WalRecord[], from: WalPosition, end: WalPosition): Promise<boolean> {
    try {
      await this.insertRecords(records);
      return true;
    } catch (error) {
      const failure = error as Error;
      this.lastError = failure;
      this.onError(failure);
      if (!isDataError(failure)) return false;
      return this.isolateBadRecords(records, `${from.segment}:${from.offset}-${end.segment}:${end.offset}`);
    }
  }

  private async isolateBadRecords(records: WalRecord[], range: string): Promise<boolean> {
    for (const record of records) {
      try {
        await this.insertRecords([record]);
      } catch (error) {
        const failure = error as Error;
        if (!isDataError(failure)) return false;
        await appendFile(
          this.deadLetterFile,
          JSON.stringify({ range, table: record.table, error: failure.message, rows: record.payload.toString('utf8') }) + '\n',
        );
        this.onError(new Error(`moved ${record.rows} ${record.table} rows ClickHouse rejected to ${this.deadLetterFile}: ${failure.message}`));
      }
    }
    return true;
  }

  private async insertRecords(records: WalRecord[]): Promise<void> {
    const byTable = new Map<WalTable, { payloads: Buffer[]; rows: number }>();
    for (const record of records) {
      const entry = byTable.get(record.table) ?? { payloads: [], rows: 0 };
      entry.payloads.push(record.payload);
      entry.rows += record.rows;
      byTable.set(record.table, entry);
    }
    for (const [table, { payloads, rows }] of byTable) {
      await this.store.insertJsonEachRow(table, Buffer.concat(payloads));
      this.insertedRowsTotal += rows;
    }
  }
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
