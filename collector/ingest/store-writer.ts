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
// Parse and conversion errors (CANNOT_PARSE_*, CANNOT_READ_ALL_DATA, TYPE_MISMATCH, INCORRECT_DATA, ...). Some of
// them can also describe a transfer cut short, so a row is only set aside after it failed alone, twice.
const dataErrorCodes = new Set(['6', '25', '26', '27', '32', '33', '38', '41', '53', '69', '70', '72', '117', '130', '131']);

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
      let stored: boolean;
      try {
        stored = await this.step();
      } catch (error) {
        // Reading the log, writing the checkpoint or the dead-letter file failed (disk full, I/O error): nothing
        // was committed, so the same batch is retried after the backoff; the loop itself never dies.
        this.lastError = error as Error;
        this.onError(error as Error);
        stored = false;
      }
      if (stored) {
        this.consecutiveFailures = 0;
        this.lastError = undefined;
      } else {
        this.consecutiveFailures += 1;
        await this.waitForWork(Math.min(5000, 100 * 2 ** Math.min(this.consecutiveFailures, 6)));
      }
    }
  }

  /** Moves one batch from the log into ClickHouse; false when it could not (retry after a backoff). */
  private async step(): Promise<boolean> {
    const pending = this.log.pendingBytes;
    if (pending === 0) {
      await this.waitForWork(1000);
      return true;
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
      return true;
    }
    if (!(await this.storeBatch(records, from, end))) return false;
    await this.log.commit(end, bytes);
    return true;
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

  /**
   * Inserts a batch that ClickHouse refused as bad data piece by piece: halves of it, down to single rows, so one
   * bad row costs only itself. A row that fails alone twice goes to the dead-letter file. False when the store
   * became unavailable meanwhile (the whole batch is retried; rows already inserted dedupe).
   */
  private async isolateBadRecords(records: WalRecord[], range: string): Promise<boolean> {
    for (const record of records) {
      const rows = record.payload.toString('utf8').split('\n').filter((line) => line.length > 0);
      if (!(await this.insertIsolating(record.table, rows, range))) return false;
    }
    return true;
  }

  private async insertIsolating(table: WalTable, rows: string[], range: string): Promise<boolean> {
    const attempt = () => this.insertRecords([{ table, rows: rows.length, payload: Buffer.from(rows.join('\n') + '\n') }]);
    try {
      await attempt();
      return true;
    } catch (error) {
      if (!isDataError(error)) return false;
      if (rows.length > 1) {
        const middle = Math.ceil(rows.length / 2);
        return (await this.insertIsolating(table, rows.slice(0, middle), range)) && this.insertIsolating(table, rows.slice(middle), range);
      }
    }
    try {
      await attempt();
      return true;
    } catch (error) {
      if (!isDataError(error)) return false;
      const message = (error as Error).message;
      await appendFile(this.deadLetterFile, JSON.stringify({ range, table, error: message, rows: rows[0] }) + '\n');
      this.onError(new Error(`moved a ${table} row ClickHouse rejected to ${this.deadLetterFile}: ${message}`));
      return true;
    }
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
