/** The health rule over plain inputs: which state each combination of store, log, backlog and disk is. */
import { describe, expect, it } from 'vitest';
import { assessHealth, healthHttpStatus, type HealthInputs } from '../../collector/health/health.ts';

const healthy: HealthInputs = {
  storeKind: 'embedded',
  storeFailing: false,
  logFailed: false,
  pendingBytes: 0,
  maxPendingBytes: 1000,
  maxLogBytes: 10_000,
  deadLetter: { rows: 0, bytes: 0, droppedRows: 0 },
  disk: { low: false, freeBytes: 1e9, reserveBytes: 1e8 },
  logDamage: { regionsSkipped: 0, bytesSkipped: 0 },
};

function codes(inputs: Partial<HealthInputs>): { status: string; reasons: string[]; http: number } {
  const report = assessHealth({ ...healthy, ...inputs });
  return {
    status: report.status,
    reasons: report.reasons.map((reason) => reason.code),
    http: healthHttpStatus(report.status),
  };
}

describe('health rule', () => {
  it('is ok with a working store, an empty backlog and no dead letters', () => {
    expect(codes({})).toEqual({ status: 'ok', reasons: [], http: 200 });
  });

  it('is degraded (200) while the store fails but the log has room: ingest still acknowledges', () => {
    expect(codes({ storeFailing: true, pendingBytes: 5000 })).toEqual({
      status: 'degraded',
      reasons: ['store_failing', 'backlog_high'],
      http: 200,
    });
  });

  it('is unavailable (503) once the store fails and the log is over its bound, as ingest answers 503', () => {
    const report = assessHealth({ ...healthy, storeFailing: true, pendingBytes: 10_001 });
    expect(report.status).toBe('unavailable');
    expect(report.reasons.map((reason) => reason.code)).toEqual(['store_failing_log_full']);
    expect(report.checks.backlog).toEqual({
      status: 'full',
      bytes: 10_001,
      max_pending_bytes: 1000,
      max_log_bytes: 10_000,
    });
    expect(healthHttpStatus(report.status)).toBe(503);
  });

  it('is unavailable when the write-ahead log failed, whatever else holds', () => {
    expect(codes({ logFailed: true })).toEqual({ status: 'unavailable', reasons: ['log_failed'], http: 503 });
  });

  it('a backlog over the 429 bound with a working store is degraded', () => {
    expect(codes({ pendingBytes: 1001 })).toEqual({ status: 'degraded', reasons: ['backlog_high'], http: 200 });
    expect(codes({ pendingBytes: 1000 }).status).toBe('ok');
  });

  it('dead-letter rows, dropped dead letters and skipped log damage are degraded', () => {
    expect(codes({ deadLetter: { rows: 2, bytes: 300, droppedRows: 0 } })).toEqual({
      status: 'degraded',
      reasons: ['dead_letter_rows'],
      http: 200,
    });
    expect(codes({ deadLetter: { rows: 0, bytes: 0, droppedRows: 5 } }).reasons).toEqual(['dead_letter_rows']);
    const damaged = assessHealth({ ...healthy, logDamage: { regionsSkipped: 1, bytesSkipped: 512 } });
    expect(damaged.status).toBe('degraded');
    expect(damaged.checks.log).toEqual({ status: 'damaged', damaged_regions_skipped: 1, damaged_bytes_skipped: 512 });
  });

  it('a disk below the reserve is unavailable: the log refuses appends, so ingest answers 503', () => {
    expect(codes({ disk: { low: true, freeBytes: 10, reserveBytes: 1e8 } })).toEqual({
      status: 'unavailable',
      reasons: ['disk_low'],
      http: 503,
    });
  });

  it('every reason carries a message for the operator', () => {
    const report = assessHealth({ ...healthy, storeFailing: true, deadLetter: { rows: 1, bytes: 1, droppedRows: 0 } });
    for (const reason of report.reasons) expect(reason.message.length).toBeGreaterThan(10);
  });
});
