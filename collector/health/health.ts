/**
 * The receiver's health rule, over plain inputs so it can be tested without a receiver. Three states, chosen by
 * what a client sending spans would experience right now:
 * - `unavailable` (503): ingest answers 503. The write-ahead log failed, the disk under it is below its reserve
 *   (appends are refused), or the store is failing and the log is over its bound (the same rules as the
 *   ingestor's admission, see collector/ingest/ingestor.ts).
 * - `degraded` (200): ingest still acknowledges, but an operator should look: the store is failing and the log is
 *   absorbing it, the backlog is over the bound where a healthy store answers 429, rows sit in the dead-letter
 *   file (or were dropped because it is full), or damaged log records were skipped (acknowledged rows lost).
 * - `ok` (200): none of the above.
 * The body names every check and never carries ClickHouse's text or a server path: `/healthz` answers without a
 * token.
 */

export type HealthStatus = 'ok' | 'degraded' | 'unavailable';

/** Dead-letter file contents, and refused rows dropped because the file reached its bound. */
export interface DeadLetterState {
  rows: number;
  bytes: number;
  droppedRows: number;
}

/** Free space under the write-ahead log (`freeBytes` undefined when the filesystem does not say). */
export interface DiskState {
  low: boolean;
  freeBytes?: number;
  reserveBytes?: number;
}

/** Damaged log records skipped since start. */
export interface LogDamageState {
  regionsSkipped: number;
  bytesSkipped: number;
}

export interface HealthInputs {
  storeKind: 'embedded' | 'server';
  storeFailing: boolean;
  logFailed: boolean;
  pendingBytes: number;
  maxPendingBytes: number;
  maxLogBytes: number;
  deadLetter: DeadLetterState;
  disk: DiskState;
  logDamage: LogDamageState;
}

export type HealthReason =
  | 'log_failed'
  | 'disk_low'
  | 'store_failing_log_full'
  | 'store_failing'
  | 'backlog_high'
  | 'dead_letter_rows'
  | 'log_damaged';

export interface HealthReport {
  status: HealthStatus;
  /** Why the status is not `ok`, most severe first; empty when it is. */
  reasons: Array<{ code: HealthReason; message: string }>;
  checks: {
    store: { kind: 'embedded' | 'server'; status: 'ok' | 'failing' };
    log: { status: 'ok' | 'failed' | 'damaged'; damaged_regions_skipped: number; damaged_bytes_skipped: number };
    backlog: { status: 'ok' | 'high' | 'full'; bytes: number; max_pending_bytes: number; max_log_bytes: number };
    dead_letters: { status: 'ok' | 'present'; rows: number; bytes: number; dropped_rows: number };
    disk: { status: 'ok' | 'low'; free_bytes?: number; reserve_bytes?: number };
  };
}

/** What each reason means, for operators reading the body. */
export const healthReasonText: Record<HealthReason, string> = {
  log_failed: 'the write-ahead log cannot be written; ingest answers 503 (the receiver log has the error)',
  store_failing_log_full: 'ClickHouse is failing and the write-ahead log is over its bound; ingest answers 503',
  store_failing: 'ClickHouse is failing; acknowledged spans wait in the write-ahead log and are retried',
  backlog_high: 'the backlog waiting for ClickHouse is over its bound; ingest answers 429 until it drains',
  dead_letter_rows: 'rows ClickHouse refused as bad data are in the dead-letter file (or were dropped: it is full)',
  disk_low:
    'the disk under the write-ahead log is below its free-space reserve; ingest answers 503 until space frees up',
  log_damaged: 'damaged write-ahead log records were skipped on start or while reading; the receiver log says what',
};

export function assessHealth(inputs: HealthInputs): HealthReport {
  const reasons: HealthReason[] = [];
  const logFull = inputs.storeFailing && inputs.pendingBytes > inputs.maxLogBytes;
  if (inputs.logFailed) reasons.push('log_failed');
  if (inputs.disk.low) reasons.push('disk_low');
  if (logFull) reasons.push('store_failing_log_full');
  else if (inputs.storeFailing) reasons.push('store_failing');
  const backlogHigh = inputs.pendingBytes > inputs.maxPendingBytes;
  if (backlogHigh && !logFull) reasons.push('backlog_high');
  const deadLetters = inputs.deadLetter.rows > 0 || inputs.deadLetter.droppedRows > 0;
  if (deadLetters) reasons.push('dead_letter_rows');
  const damaged = inputs.logDamage.regionsSkipped > 0;
  if (damaged) reasons.push('log_damaged');

  const unavailable = inputs.logFailed || inputs.disk.low || logFull;
  const status: HealthStatus = unavailable ? 'unavailable' : reasons.length > 0 ? 'degraded' : 'ok';
  return {
    status,
    reasons: reasons.map((code) => ({ code, message: healthReasonText[code] })),
    checks: {
      store: { kind: inputs.storeKind, status: inputs.storeFailing ? 'failing' : 'ok' },
      log: {
        status: inputs.logFailed ? 'failed' : damaged ? 'damaged' : 'ok',
        damaged_regions_skipped: inputs.logDamage.regionsSkipped,
        damaged_bytes_skipped: inputs.logDamage.bytesSkipped,
      },
      backlog: {
        status: logFull ? 'full' : backlogHigh ? 'high' : 'ok',
        bytes: inputs.pendingBytes,
        max_pending_bytes: inputs.maxPendingBytes,
        max_log_bytes: inputs.maxLogBytes,
      },
      dead_letters: {
        status: deadLetters ? 'present' : 'ok',
        rows: inputs.deadLetter.rows,
        bytes: inputs.deadLetter.bytes,
        dropped_rows: inputs.deadLetter.droppedRows,
      },
      disk: {
        status: inputs.disk.low ? 'low' : 'ok',
        free_bytes: inputs.disk.freeBytes,
        reserve_bytes: inputs.disk.reserveBytes,
      },
    },
  };
}

/**
 * The `/healthz` body: the report plus the flat fields the endpoint answered before it had checks (`store`,
 * `store_failing`, `pending_bytes`), which scripts and tests poll.
 */
export function healthResponseBody(report: HealthReport) {
  return {
    ...report,
    store: report.checks.store.kind,
    store_failing: report.checks.store.status === 'failing',
    pending_bytes: report.checks.backlog.bytes,
  };
}

/** HTTP status of a health state: load balancers take a receiver out of rotation only when ingest would fail. */
export function healthHttpStatus(status: HealthStatus): 200 | 503 {
  return status === 'unavailable' ? 503 : 200;
}

/** The value of the `trajectories_health_state` gauge: 0 ok, 1 degraded, 2 unavailable (alert on > 0). */
export function healthGaugeValue(status: HealthStatus): number {
  return status === 'ok' ? 0 : status === 'degraded' ? 1 : 2;
}
