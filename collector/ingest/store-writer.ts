/**
 * Moves acknowledged rows from the write-ahead log into ClickHouse, in large batches, in log order, and commits
 * the log position only after ClickHouse has accepted a batch. Replaying after a crash may insert a batch twice;
 * the ReplacingMergeTree tables (read with FINAL) make that invisible.
 *
 * The store client classifies its failures (src/store/store-error.ts): a batch ClickHouse refuses as `bad_data` is
 * split to isolate the bad rows, which go to a dead-letter file instead of blocking the log forever; an
 * `unavailable` store (down, overloaded, unreachable) gets the same batch again after a backoff. Each batch ends as
 * one `StoreWriteOutcome`, and only a `retry` keeps the checkpoint where it was.
 *
 * Nothing a client sends may keep the writer retrying forever, since every tenant's later rows wait behind the batch:
 * an unavailable error that is not store-wide (memory or time limits, codes nobody classified) is retried
 * `isolateAfterFailures` times on the same batch, and then, if the store still answers a query, the batch is
 * isolated row by row (collector/ingest/row-isolation.ts). Such an error blames a row only when it is specific to
 * it: other pieces of the batch went in and the row failed alone twice with the same error. A store that refuses
 * every insert while it answers queries (overloaded) therefore gets the batch again with backoff and loses nothing.
 * Only a batch that keeps failing that way for `lastResortAfterFailures` attempts (about 8 minutes), a batch of one
 * row that fails every time say, has its rows that fail alone twice dead-lettered without that evidence, logged
 * as a LAST RESORT. The dead-letter file holds prompts: it is created 0600, every append is fsynced before the
 * checkpoint moves past the row, and it is bounded (`maxDeadLetterBytes`); past the bound a refused row is dropped,
 * counted and logged, never silently.
 */
import { createReadStream } from 'node:fs';
import { chmod, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../../src/store/client.ts';
import { toStoreError, type StoreError } from '../../src/store/store-error.ts';
import type { ReceiverMetrics } from '../metrics/receiver-metrics.ts';
import { isolateRows, type RefusedRow } from './row-isolation.ts';
import type { DeletedTraces } from './deleted-traces.ts';
import { TraceRequestRows, type BuiltBatch } from './trace-request-rows.ts';
import type { WalPosition, WalRecord, WalTable, WriteAheadLog } from './write-ahead-log.ts';

/** A batch of the log with its rows built: `logRecords` records read from `from` up to `end`. */
interface PreparedBatch {
  from: WalPosition;
  end: WalPosition;
  bytes: number;
  logRecords: number;
  built: BuiltBatch;
}

function samePosition(a: WalPosition, b: WalPosition): boolean {
  return a.segment === b.segment && a.offset === b.offset;
}

export interface StoreWriterOptions {
  /** Traces deleted through the API: their rows are dropped before every insert. */
  deletedTraces?: DeletedTraces;
  /** Largest batch read from the log for one insert. @default 32 MiB */
  maxBatchBytes?: number;
  /** How long to wait for a batch to fill before inserting what there is. @default 50 */
  lingerMillis?: number;
  /** A batch this large is inserted without waiting. @default 4 MiB */
  minBatchBytes?: number;
  /** Called with each insert failure (for logging). */
  onError?: (error: Error) => void;
  /**
   * Failures of one batch with an error that is not store-wide after which, if the store still answers, the batch
   * is isolated row by row instead of retried again. @default 10 (about 30 s of backoff)
   */
  isolateAfterFailures?: number;
  /**
   * Failures of one batch after which its rows that fail alone twice with an error that is not store-wide are
   * dead-lettered even though no other piece of the batch went in (a batch of one row that fails every time).
   * @default 100 (about 8 minutes of backoff)
   */
  lastResortAfterFailures?: number;
  /** Largest size of the dead-letter file; a refused row that does not fit is dropped and logged. @default 1 GiB */
  maxDeadLetterBytes?: number;
  /** Counts stored, dead-lettered and dropped rows, retries and insert times. */
  metrics?: ReceiverMetrics;
}

/** The dead-letter file as the health check and the metrics see it. */
export interface DeadLetterState {
  /** Rows in the file (counted at start, then kept up to date). */
  rows: number;
  bytes: number;
  /** Refused rows dropped since start because the file had reached `maxDeadLetterBytes`. */
  droppedRows: number;
}

/**
 * What the writer did with one batch of the log. Only `retry` leaves the batch in the log: the checkpoint moves
 * past a batch once each of its rows is in ClickHouse or in the dead-letter file.
 */
export type StoreWriteOutcome =
  | { status: 'stored'; rows: number }
  /**
   * ClickHouse refused some rows: they are in the dead-letter file (`droppedRows` of them dropped instead because it
   * was full), the `rows` others are stored.
   */
  | { status: 'dead_lettered'; rows: number; deadLetteredRows: number; droppedRows: number; reason: string }
  /** The store is unavailable: nothing was committed, the same batch is inserted again after `retryInMillis`. */
  | { status: 'retry'; error: StoreError; retryInMillis: number };

/** Backoff after the given number of consecutive failures: 200 ms doubling up to 5 s. */
export function retryDelayMillis(consecutiveFailures: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(consecutiveFailures, 6));
}

export class StoreWriter {
  private readonly store: Store;
  private readonly log: WriteAheadLog;
  private readonly deadLetterFile: string;
  private readonly maxBatchBytes: number;
  private readonly lingerMillis: number;
  private readonly minBatchBytes: number;
  private readonly onError: (error: Error) => void;
  private readonly isolateAfterFailures: number;
  private readonly lastResortAfterFailures: number;
  private readonly maxDeadLetterBytes: number;
  private readonly metrics: ReceiverMetrics | undefined;
  private readonly deadLetterState: DeadLetterState = { rows: 0, bytes: 0, droppedRows: 0 };
  /** The batch (its start in the log) that failed last, and how often in a row. */
  private failingBatch: { from: string; failures: number } | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private consecutiveFailures = 0;
  private lastError: Error | undefined;
  private lastBatchOutcome: StoreWriteOutcome | undefined;
  private insertedRowsTotal = 0;
  private readonly traceRows = new TraceRequestRows();
  /** The batch after the one being inserted, read and built meanwhile. */
  private builtAhead: PreparedBatch | undefined;
  private readonly deletedTraces: DeletedTraces | undefined;
  private inserting: Promise<StoreError | undefined> | undefined;

  constructor(store: Store, log: WriteAheadLog, directory: string, options: StoreWriterOptions = {}) {
    this.store = store;
    this.log = log;
    this.deadLetterFile = join(directory, 'dead-letter.jsonl');
    this.maxBatchBytes = options.maxBatchBytes ?? 32 * 1024 * 1024;
    this.lingerMillis = options.lingerMillis ?? 50;
    this.minBatchBytes = options.minBatchBytes ?? 4 * 1024 * 1024;
    this.onError = options.onError ?? (() => {});
    this.isolateAfterFailures = options.isolateAfterFailures ?? 10;
    this.lastResortAfterFailures = Math.max(this.isolateAfterFailures, options.lastResortAfterFailures ?? 100);
    this.maxDeadLetterBytes = options.maxDeadLetterBytes ?? 1024 ** 3;
    this.metrics = options.metrics;
    this.deletedTraces = options.deletedTraces;
    this.metrics?.observe('trajectories_dead_letter_rows', 'Rows in the dead-letter file', () => this.deadLetter.rows);
    this.metrics?.observe(
      'trajectories_dead_letter_bytes',
      'Size of the dead-letter file',
      () => this.deadLetter.bytes,
    );
  }

  /** Rows and bytes in the dead-letter file, and refused rows dropped because it was full. */
  get deadLetter(): DeadLetterState {
    return { ...this.deadLetterState };
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

  /** Counts what an earlier run left in the dead-letter file, so health and metrics report it from the start. */
  private async readDeadLetterFile(): Promise<void> {
    try {
      const { size } = await stat(this.deadLetterFile);
      let rows = 0;
      for await (const chunk of createReadStream(this.deadLetterFile) as AsyncIterable<Buffer>) {
        for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) rows += 1;
      }
      this.deadLetterState.rows += rows;
      this.deadLetterState.bytes = Math.max(this.deadLetterState.bytes, size);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(error as Error);
    }
  }

  private async run(): Promise<void> {
    await this.readDeadLetterFile();
    while (this.running) {
      let retry: { error: Error; retryInMillis: number } | undefined;
      try {
        const outcome = await this.step();
        if (outcome?.status === 'retry') retry = outcome;
      } catch (error) {
        // Reading the log, writing the checkpoint or the dead-letter file failed (disk full, I/O error): nothing
        // was committed, so the same batch is retried after the backoff (its rows built again, with their
        // contents); the loop itself never dies.
        this.onError(error as Error);
        this.traceRows.discardUncommitted();
        this.builtAhead = undefined;
        retry = { error: error as Error, retryInMillis: retryDelayMillis(this.consecutiveFailures + 1) };
      }
      if (retry === undefined) {
        this.consecutiveFailures = 0;
        this.lastError = undefined;
      } else {
        this.consecutiveFailures += 1;
        this.lastError = retry.error;
        this.metrics?.writerRetries.inc();
        await this.waitForWork(retry.retryInMillis);
      }
    }
  }

  /** Reads a batch from the log at `from` and builds its rows. */
  private async prepare(from: WalPosition): Promise<PreparedBatch> {
    const { records, end, bytes } = await this.log.read(from, this.maxBatchBytes);
    return { from, end, bytes, logRecords: records.length, built: await this.traceRows.build(records) };
  }

  /** Moves one batch from the log into ClickHouse; undefined when there was nothing to move. */
  private async step(): Promise<StoreWriteOutcome | undefined> {
    const pending = this.log.pendingBytes;
    if (pending === 0) {
      await this.waitForWork(1000);
      return undefined;
    }
    const from = this.log.checkpoint;
    let batch = this.builtAhead && samePosition(this.builtAhead.from, from) ? this.builtAhead : undefined;
    // A batch built ahead for another position is dropped, and so are the content keys it made provisional.
    if (this.builtAhead && batch === undefined) this.traceRows.discardUncommitted();
    this.builtAhead = undefined;
    if (batch === undefined) {
      if (pending < this.minBatchBytes) {
        // Let concurrent requests fill the batch: ClickHouse prefers few large inserts.
        await sleep(this.lingerMillis);
      }
      batch = await this.prepare(from);
    }
    const { end, bytes, built } = batch;
    if (batch.logRecords === 0) {
      if (!samePosition(end, from)) await this.log.commit(end, 0);
      else await this.waitForWork(this.lingerMillis);
      return undefined;
    }
    // Build the next batch while ClickHouse inserts this one, when enough waits for a batch of its own: rows are
    // built in JavaScript on this thread, the insert runs in ClickHouse's threads. A failed read ahead is no loss:
    // the batch is read again when its turn comes.
    const ahead: Promise<PreparedBatch | undefined> =
      this.log.pendingBytes - bytes >= this.minBatchBytes
        ? this.prepare(end).catch(() => undefined)
        : Promise.resolve(undefined);
    const start = `${from.segment}:${from.offset}`;
    const range = `${start}-${end.segment}:${end.offset}`;
    if (this.failingBatch?.from !== start) this.failingBatch = { from: start, failures: 0 };
    let outcome: StoreWriteOutcome;
    let next: PreparedBatch | undefined;
    try {
      outcome = await this.storeBatch(built.records, range, this.failingBatch.failures);
    } finally {
      // Never left running: a batch built ahead adds provisional content keys until it is done.
      next = await ahead;
    }
    if (outcome.status === 'retry') {
      this.lastBatchOutcome = outcome;
      // Everything after the checkpoint is built again, with the contents this batch would have stored.
      this.traceRows.discardUncommitted();
      this.failingBatch.failures += 1;
      return outcome;
    }
    if (built.unreadable.length > 0) outcome = await this.deadLetterRequests(built, outcome, range);
    this.lastBatchOutcome = outcome;
    // The checkpoint moves only once the store accepted every row (or the dead-letter file holds it).
    this.failingBatch = undefined;
    await this.log.commit(end, bytes);
    this.traceRows.committed(built);
    this.builtAhead = next;
    return outcome;
  }

  /** Logged requests that cannot be read back go to the dead-letter file whole, so the log can move past them. */
  private async deadLetterRequests(
    built: BuiltBatch,
    outcome: StoreWriteOutcome & { status: 'stored' | 'dead_lettered' },
    range: string,
  ): Promise<StoreWriteOutcome> {
    let deadLetteredRows = outcome.status === 'dead_lettered' ? outcome.deadLetteredRows : 0;
    let droppedRows = outcome.status === 'dead_lettered' ? outcome.droppedRows : 0;
    for (const { payload, reason } of built.unreadable) {
      const line = JSON.stringify({
        range,
        table: 'otlp_traces',
        error: reason,
        request_base64: payload.toString('base64'),
      });
      this.onError(new Error(`moved a logged trace export request to ${this.deadLetterFile}: ${reason}`));
      if (await this.appendDeadLetter('otlp_traces', line + '\n')) deadLetteredRows += 1;
      else droppedRows += 1;
    }
    return {
      status: 'dead_lettered',
      rows: outcome.rows,
      deadLetteredRows,
      droppedRows,
      reason: outcome.status === 'dead_lettered' ? outcome.reason : built.unreadable[0]!.reason,
    };
  }

  private async storeBatch(records: WalRecord[], range: string, earlierFailures: number): Promise<StoreWriteOutcome> {
    const error = await this.insertRecords(records);
    const rows = records.reduce((total, record) => total + record.rows, 0);
    if (error === undefined) return { status: 'stored', rows };
    this.onError(error);
    const failures = earlierFailures + 1;
    const escalated = failures >= this.isolateAfterFailures;
    const lastResort = failures >= this.lastResortAfterFailures;
    if (error.kind === 'unavailable') {
      if (error.storeWide || !escalated || !(await this.storeAnswers())) return this.retry(error);
      if (failures === this.isolateAfterFailures) {
        this.onError(
          new Error(
            `ClickHouse refused log range ${range} ${failures} times in a row while it answers queries ` +
              `(${error.message}): isolating its rows on each attempt; a row refused alone twice while other ` +
              `rows of the range go in is moved to ${this.deadLetterFile}`,
          ),
        );
      }
      if (failures === this.lastResortAfterFailures) {
        this.onError(
          new Error(
            `LAST RESORT: ClickHouse refused log range ${range} ${failures} times in a row while it answers ` +
              `queries (${error.message}): from now on each of its rows refused alone twice is moved to ` +
              `${this.deadLetterFile} even when no other row of it goes in, so later rows are stored. If ClickHouse ` +
              'itself is failing, fix it and insert those rows again from the file.',
          ),
        );
      }
    }
    const isolated = await isolateRows(records, error, {
      insert: (table, lines) =>
        this.insertRecords([{ table, rows: lines.length, payload: Buffer.from(lines.join('\n') + '\n') }]),
      escalated,
      lastResort,
    });
    if (isolated.status === 'retry') {
      if (isolated.error !== error) this.onError(isolated.error);
      return this.retry(isolated.error);
    }
    return this.deadLetterRows(isolated.refused, isolated.storedRows, range);
  }

  /** Writes the rows isolation refused to the dead-letter file (or drops them when it is full). */
  private async deadLetterRows(refused: RefusedRow[], storedRows: number, range: string): Promise<StoreWriteOutcome> {
    if (refused.length === 0) return { status: 'stored', rows: storedRows };
    let deadLetteredRows = 0;
    for (const { table, row, error, withoutEvidence } of refused) {
      const kept = await this.appendDeadLetter(
        table,
        JSON.stringify({ range, table, error: error.message, rows: row }) + '\n',
      );
      if (!kept) continue;
      deadLetteredRows += 1;
      this.onError(
        new Error(
          withoutEvidence
            ? `LAST RESORT: moved a ${table} row to ${this.deadLetterFile} that ClickHouse refused alone while no ` +
                `other row of its batch went in, so the store may be to blame: ${error.message}`
            : `moved a ${table} row ClickHouse rejected to ${this.deadLetterFile}: ${error.message}`,
        ),
      );
    }
    return {
      status: 'dead_lettered',
      rows: storedRows,
      deadLetteredRows,
      droppedRows: refused.length - deadLetteredRows,
      reason: refused[0]!.error.message,
    };
  }

  /** Whether the store answers a query at all: tells a store that is down from one that refuses this batch. */
  private async storeAnswers(): Promise<boolean> {
    try {
      await (await this.store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json();
      return true;
    } catch {
      return false;
    }
  }

  private retry(error: StoreError): StoreWriteOutcome {
    return { status: 'retry', error, retryInMillis: retryDelayMillis(this.consecutiveFailures + 1) };
  }

  /**
   * Appends one refused row to the dead-letter file and fsyncs it (the checkpoint moves past the row next); false
   * when the file has no room left under `maxDeadLetterBytes`, and the row is dropped. The size is read from the
   * file each time, so moving the file away makes room at once.
   */
  private async appendDeadLetter(table: WalTable, line: string): Promise<boolean> {
    const bytes = Buffer.from(line);
    const file = await open(this.deadLetterFile, 'a', 0o600);
    try {
      const { size, mode } = await file.stat();
      // A file created before the mode was set (or copied in) holds prompts too.
      if ((mode & 0o077) !== 0) await chmod(this.deadLetterFile, 0o600);
      this.deadLetterState.bytes = size;
      if (size + bytes.length > this.maxDeadLetterBytes) {
        this.deadLetterState.droppedRows += 1;
        this.metrics?.deadLetterDroppedRows.inc({ table });
        this.onError(
          new Error(
            `DROPPED a ${table} row ClickHouse rejected: the dead-letter file ${this.deadLetterFile} is full ` +
              `(${size} bytes, limit ${this.maxDeadLetterBytes}; ${this.deadLetterState.droppedRows} rows dropped ` +
              'since start). Move the file away (a new one is started) or raise the limit.',
          ),
        );
        return false;
      }
      await file.write(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    this.deadLetterState.rows += 1;
    this.deadLetterState.bytes += bytes.length;
    this.metrics?.deadLetteredRows.inc({ table });
    return true;
  }

  /** Inserts the records table by table; the store's error when one insert failed (the store throws only StoreErrors). */
  private async insertRecords(records: WalRecord[]): Promise<StoreError | undefined> {
    const inserting = this.insertFiltered(records);
    this.inserting = inserting;
    try {
      return await inserting;
    } finally {
      if (this.inserting === inserting) this.inserting = undefined;
    }
  }

  /**
   * Resolves once the insert in flight (if any) is over: an insert that starts later drops the rows of traces
   * deleted before it started, so after this a deletion can remove what is stored without racing the writer.
   */
  async settled(): Promise<void> {
    await this.inserting?.catch(() => undefined);
  }

  private async insertFiltered(records: WalRecord[]): Promise<StoreError | undefined> {
    const byTable = new Map<WalTable, { payloads: Buffer[]; rows: number }>();
    // Contents before the spans that refer to them, so a reader never finds a reference without its text.
    if (records.some((record) => record.table === 'contents')) byTable.set('contents', { payloads: [], rows: 0 });
    for (const logged of records) {
      const record = this.deletedTraces ? this.deletedTraces.filter(logged) : logged;
      if (record === undefined) continue;
      const entry = byTable.get(record.table) ?? { payloads: [], rows: 0 };
      entry.payloads.push(record.payload);
      entry.rows += record.rows;
      byTable.set(record.table, entry);
    }
    for (const [table, { payloads, rows }] of byTable) {
      if (rows === 0) continue;
      const timer = this.metrics?.storeInsertSeconds.startTimer({ table });
      try {
        await this.store.insertJsonEachRow(table, Buffer.concat(payloads));
      } catch (error) {
        return toStoreError(error);
      } finally {
        timer?.();
      }
      this.insertedRowsTotal += rows;
      this.metrics?.storedRows.inc({ table }, rows);
    }
    return undefined;
  }
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
