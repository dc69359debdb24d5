/**
 * Moves acknowledged rows from the write-ahead log into ClickHouse, in large batches, in log order, and commits
 * the log position only after ClickHouse has accepted a batch. Replaying after a crash may insert a batch twice;
 * the ReplacingMergeTree tables (read with FINAL) make that invisible.
 *
 * The store client classifies its failures (src/store/store-error.ts): a batch ClickHouse refuses as `bad_data` is
 * split to isolate the bad rows, which go to a dead-letter file instead of blocking the log forever; an
 * `unavailable` store (down, overloaded, unreachable) gets the same batch again after a backoff. Each batch ends as
 * one `StoreWriteOutcome`, and only a `retry` keeps the checkpoint where it was.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../../src/store/client.ts';
import { toStoreError, type StoreError } from '../../src/store/store-error.ts';
import type { WalRecord, WalTable, WriteAheadLog } from './write-ahead-log.ts';

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

/**
 * What the writer did with one batch of the log. Only `retry` leaves the batch in the log: the checkpoint moves
 * past a batch once each of its rows is in ClickHouse or in the dead-letter file.
 */
export type StoreWriteOutcome =
  | { status: 'stored'; rows: number }
  /** ClickHouse refused some rows as bad data: they are in the dead-letter file, the `rows` others are stored. */
  | { status: 'dead_lettered'; rows: number; deadLetteredRows: number; reason: string }
  /** The store is unavailable: nothing was committed, the same batch is inserted again after `retryInMillis`. */
  | { status: 'retry'; error: StoreError; retryInMillis: number };

/** Backoff after the given number of consecutive failures: 200 ms doubling up to 5 s. */
export function retryDelayMillis(consecutiveFailures: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(consecutiveFailures, 6));
}

/** Adds up the outcomes of two parts of one batch; a part that must be retried makes the whole batch a retry. */
function combine(first: StoreWriteOutcome, second: StoreWriteOutcome): StoreWriteOutcome {
  if (first.status === 'retry') return first;
  if (second.status === 'retry') return second;
  const rows = first.rows + second.rows;
  if (first.status === 'dead_lettered') {
    return {
      ...first,
      rows,
      deadLetteredRows: first.deadLetteredRows + (second.status === 'dead_lettered' ? second.deadLetteredRows : 0),
    };
  }
  return second.status === 'dead_lettered' ? { ...second, rows } : { status: 'stored', rows };
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
  private lastBatchOutcome: StoreWriteOutcome | undefined;
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

  /** True while the last attempt failed (store unavailable, or the log could not be read or committed). */
  get storeFailing(): boolean {
    return this.consecutiveFailures > 0;
  }

  get lastStoreError(): Error | undefined {
    return this.lastError;
  }

  /** What became of the last batch the writer tried to store. */
  get lastOutcome(): StoreWriteOutcome | undefined {
    return this.lastBatchOutcome;
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
      let retry: { error: Error; retryInMillis: number } | undefined;
      try {
        const outcome = await this.step();
        if (outcome?.status === 'retry') retry = outcome;
      } catch (error) {
        // Reading the log, writing the checkpoint or the dead-letter file failed (disk full, I/O error): nothing
        // was committed, so the same batch is retried after the backoff; the loop itself never dies.
        this.onError(error as Error);
        retry = { error: error as Error, retryInMillis: retryDelayMillis(this.consecutiveFailures + 1) };
      }
      if (retry === undefined) {
        this.consecutiveFailures = 0;
        this.lastError = undefined;
      } else {
        this.consecutiveFailures += 1;
        this.lastError = retry.error;
        await this.waitForWork(retry.retryInMillis);
      }
    }
  }

  /** Moves one batch from the log into ClickHouse; undefined when there was nothing to move. */
  private async step(): Promise<StoreWriteOutcome | undefined> {
    const pending = this.log.pendingBytes;
    if (pending === 0) {
      await this.waitForWork(1000);
      return undefined;
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
      return undefined;
    }
    const outcome = await this.storeBatch(records, `${from.segment}:${from.offset}-${end.segment}:${end.offset}`);
    this.lastBatchOutcome = outcome;
    // The checkpoint moves only once the store accepted every row (or the dead-letter file holds it).
    if (outcome.status !== 'retry') await this.log.commit(end, bytes);
    return outcome;
  }

  private async storeBatch(records: WalRecord[], range: string): Promise<StoreWriteOutcome> {
    const error = await this.insertRecords(records);
    const rows = records.reduce((total, record) => total + record.rows, 0);
    if (error === undefined) return { status: 'stored', rows };
    this.onError(error);
    if (error.kind === 'unavailable') return this.retry(error);
    let outcome: StoreWriteOutcome = { status: 'stored', rows: 0 };
    for (const record of records) {
      const lines = record.payload
        .toString('utf8')
        .split('\n')
        .filter((line) => line.length > 0);
      outcome = combine(outcome, await this.isolateBadRows(record.table, lines, range));
      if (outcome.status === 'retry') return outcome;
    }
    return outcome;
  }

  private retry(error: StoreError): StoreWriteOutcome {
    return { status: 'retry', error, retryInMillis: retryDelayMillis(this.consecutiveFailures + 1) };
  }

  /**
   * Inserts rows of a batch that ClickHouse refused as bad data piece by piece: halves of it, down to single rows,
   * so one bad row costs only itself. A row that fails alone twice goes to the dead-letter file. A retry when the
   * store became unavailable meanwhile (the whole batch is retried; rows already inserted dedupe).
   */
  private async isolateBadRows(table: WalTable, rows: string[], range: string): Promise<StoreWriteOutcome> {
    const attempt = () =>
      this.insertRecords([{ table, rows: rows.length, payload: Buffer.from(rows.join('\n') + '\n') }]);
    const first = await attempt();
    if (first === undefined) return { status: 'stored', rows: rows.length };
    if (first.kind === 'unavailable') return this.retry(first);
    if (rows.length > 1) {
      const middle = Math.ceil(rows.length / 2);
      const head = await this.isolateBadRows(table, rows.slice(0, middle), range);
      if (head.status === 'retry') return head;
      return combine(head, await this.isolateBadRows(table, rows.slice(middle), range));
    }
    const second = await attempt();
    if (second === undefined) return { status: 'stored', rows: 1 };
    if (second.kind === 'unavailable') return this.retry(second);
    await appendFile(
      this.deadLetterFile,
      JSON.stringify({ range, table, error: second.message, rows: rows[0] }) + '\n',
    );
    this.onError(new Error(`moved a ${table} row ClickHouse rejected to ${this.deadLetterFile}: ${second.message}`));
    return { status: 'dead_lettered', rows: 0, deadLetteredRows: 1, reason: second.message };
  }

  /** Inserts the records table by table; the store's error when one insert failed (the store throws only StoreErrors). */
  private async insertRecords(records: WalRecord[]): Promise<StoreError | undefined> {
    const byTable = new Map<WalTable, { payloads: Buffer[]; rows: number }>();
    // Contents before the spans that refer to them, so a reader never finds a reference without its text.
    if (records.some((record) => record.table === 'contents')) byTable.set('contents', { payloads: [], rows: 0 });
    for (const record of records) {
      const entry = byTable.get(record.table) ?? { payloads: [], rows: 0 };
      entry.payloads.push(record.payload);
      entry.rows += record.rows;
      byTable.set(record.table, entry);
    }
    for (const [table, { payloads, rows }] of byTable) {
      try {
        await this.store.insertJsonEachRow(table, Buffer.concat(payloads));
      } catch (error) {
        return toStoreError(error);
      }
      this.insertedRowsTotal += rows;
    }
    return undefined;
  }
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
