/**
 * Finds the rows of a failed batch that the store refuses, so only they are set aside (collector/ingest/store-writer.ts
 * writes them to the dead-letter file) and the rest of the batch is stored.
 *
 * The batch's records are inserted one by one, and every piece that fails is split in halves, level by level, down
 * to single rows; a row that fails alone is tried once more. Level by level (not depth first) so that, before any row
 * is blamed, the rest of the batch has been tried: that is the evidence that tells a row the store refuses from a
 * store that refuses everything.
 *
 * - Bad data (a parse or conversion error) is the rows' fault by its nature: a row refused as bad data alone, twice,
 *   is refused.
 * - Any other error blames rows only in `escalated` mode (the whole batch failed `isolateAfterFailures` times while
 *   the store answers queries), and only when it is specific to them: some other piece of the batch went in during
 *   this attempt, and the row failed alone twice with the same error. When nothing of the batch goes in, the store
 *   is failing (overloaded, timing out, behind a failing proxy), not the rows: the batch is retried with backoff,
 *   and stays escalated, so the next attempt isolates again.
 * - `lastResort` mode gives up on that evidence: a batch whose every row fails (one row that a view chokes on every
 *   time, say) would otherwise hold the log forever. Its rows that fail alone twice are refused whatever the error.
 *   The writer enters it only after many more failures (`lastResortAfterFailures`) and says so loudly.
 * - A store-wide error anywhere (down, read-only, out of disk) retries the batch at once.
 *
 * Nothing is refused before the whole batch is decided, so a retry never leaves a row in the dead-letter file that
 * the next attempt would add again.
 */
import type { StoreError } from '../../src/store/store-error.ts';
import type { WalRecord, WalTable } from './write-ahead-log.ts';

export interface RowIsolationOptions {
  /** Inserts rows of one table; the store's error when it refused them. */
  insert: (table: WalTable, rows: string[]) => Promise<StoreError | undefined>;
  /** Errors that are not store-wide may blame rows, given evidence that they are specific to them. */
  escalated: boolean;
  /** Errors that are not store-wide blame a row that fails alone twice, without evidence. */
  lastResort: boolean;
}

export interface RefusedRow {
  table: WalTable;
  row: string;
  /** The error of the row's last attempt alone. */
  error: StoreError;
  /** Refused only because of `lastResort`: nothing showed that the row, not the store, is to blame. */
  withoutEvidence: boolean;
}

export type RowIsolationResult =
  | { status: 'isolated'; storedRows: number; refused: RefusedRow[] }
  /** Nothing refused: the batch must be inserted again later (rows stored meanwhile dedupe). */
  | { status: 'retry'; error: StoreError };

interface FailedPiece {
  table: WalTable;
  rows: string[];
  failure: StoreError;
}

/** Two failures that are the same error: the same ClickHouse code or, without one (network), the same message. */
function sameFailure(first: StoreError, second: StoreError): boolean {
  if (first.kind !== second.kind || first.clickhouseCode !== second.clickhouseCode) return false;
  return first.clickhouseCode !== undefined || first.message === second.message;
}

function linesOf(record: WalRecord): string[] {
  return record.payload
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

/**
 * Isolates the rows of `records`, which failed together with `batchFailure`. Contents go before the spans that
 * refer to them, as in a whole-batch insert.
 */
export async function isolateRows(
  records: WalRecord[],
  batchFailure: StoreError,
  options: RowIsolationOptions,
): Promise<RowIsolationResult> {
  const { insert, escalated, lastResort } = options;
  // An error that says nothing about the rows in the mode at hand: the batch waits for the store.
  const holdsBatch = (error: StoreError) => error.kind === 'unavailable' && (error.storeWide || !escalated);
  if (holdsBatch(batchFailure)) return { status: 'retry', error: batchFailure };
  let storedRows = 0;
  // Evidence that a failure is specific to rows is per table: contents going in says nothing about a spans insert.
  const storedByTable = new Map<WalTable, number>();
  const stored = (table: WalTable, rows: number) => {
    storedRows += rows;
    storedByTable.set(table, (storedByTable.get(table) ?? 0) + rows);
  };

  const ordered = [...records].sort((a, b) => Number(b.table === 'contents') - Number(a.table === 'contents'));
  let failing: FailedPiece[] = [];
  if (ordered.length === 1) {
    failing.push({ table: ordered[0]!.table, rows: linesOf(ordered[0]!), failure: batchFailure });
  } else {
    for (const record of ordered) {
      const rows = linesOf(record);
      const failure = await insert(record.table, rows);
      if (failure === undefined) stored(record.table, rows.length);
      else if (holdsBatch(failure)) return { status: 'retry', error: failure };
      else failing.push({ table: record.table, rows, failure });
    }
  }

  // A piece that failed otherwise than as bad data is split only once another piece went in (or as a last resort):
  // against a store that refuses everything, that ends the attempt after the first halves, not after 2n inserts.
  const splittable = (piece: FailedPiece) =>
    piece.rows.length > 1 &&
    (piece.failure.kind === 'bad_data' || (storedByTable.get(piece.table) ?? 0) > 0 || lastResort);
  while (failing.some(splittable)) {
    const next: FailedPiece[] = [];
    for (const piece of failing) {
      if (!splittable(piece)) {
        next.push(piece);
        continue;
      }
      const middle = Math.ceil(piece.rows.length / 2);
      for (const rows of [piece.rows.slice(0, middle), piece.rows.slice(middle)]) {
        const failure = await insert(piece.table, rows);
        if (failure === undefined) stored(piece.table, rows.length);
        else if (holdsBatch(failure)) return { status: 'retry', error: failure };
        else next.push({ table: piece.table, rows, failure });
      }
    }
    failing = next;
  }
  const unsplit = failing.find((piece) => piece.rows.length > 1);
  if (unsplit !== undefined) return { status: 'retry', error: unsplit.failure };

  const secondFailures: Array<StoreError | undefined> = [];
  for (const single of failing) {
    const failure = await insert(single.table, single.rows);
    if (failure === undefined) stored(single.table, 1);
    else if (holdsBatch(failure)) return { status: 'retry', error: failure };
    secondFailures.push(failure);
  }
  const refused: RefusedRow[] = [];
  for (const [index, single] of failing.entries()) {
    const second = secondFailures[index];
    if (second === undefined) continue;
    const dataShaped = single.failure.kind === 'bad_data' && second.kind === 'bad_data';
    // A network error or a timeout (no ClickHouse code, or TIMEOUT_EXCEEDED / SOCKET_TIMEOUT) describes the store,
    // never one row, however many other rows went in.
    const aboutTheRow =
      second.clickhouseCode !== undefined && second.clickhouseCode !== 159 && second.clickhouseCode !== 209;
    const specific = aboutTheRow && sameFailure(single.failure, second) && (storedByTable.get(single.table) ?? 0) > 0;
    if (!dataShaped && !specific && !lastResort) return { status: 'retry', error: second };
    refused.push({
      table: single.table,
      row: single.rows[0]!,
      error: second,
      withoutEvidence: !dataShaped && !specific,
    });
  }
  return { status: 'isolated', storedRows, refused };
}
