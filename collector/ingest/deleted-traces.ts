/**
 * The traces deleted through the API, in memory (loaded from `deleted_traces` at start): the store writer drops
 * every row of them before it inserts, so a client's retry, a late span or a write-ahead-log replay never brings a
 * deleted trace back, and the summarizer writes no summary for them. Empty in the common case, and then free: rows
 * are looked at only while some trace is deleted.
 */
import type { WalRecord } from './wal-record-format.ts';

const traceIdField = '"trace_id":"';
const traceIdBytes = Buffer.from(traceIdField);

export class DeletedTraces {
  /** Trace id -> the tenants that deleted a trace of that id. */
  private readonly tenantsByTrace = new Map<string, Set<string>>();

  add(tenant: string, traceIds: Iterable<string>): void {
    for (const traceId of traceIds) {
      const tenants = this.tenantsByTrace.get(traceId) ?? new Set<string>();
      tenants.add(tenant);
      this.tenantsByTrace.set(traceId, tenants);
    }
  }

  has(tenant: string, traceId: string): boolean {
    return this.tenantsByTrace.get(traceId)?.has(tenant) ?? false;
  }

  get size(): number {
    return this.tenantsByTrace.size;
  }

  /**
   * The record without the rows of deleted traces (JSONEachRow lines that name `tenant` and `trace_id`);
   * undefined when none is left.
   */
  filter(record: WalRecord): WalRecord | undefined {
    if (this.tenantsByTrace.size === 0 || !this.mayName(record.payload)) return record;
    const kept = record.payload
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '' && !this.namesDeleted(line));
    if (kept.length === 0) return undefined;
    return { table: record.table, rows: kept.length, payload: Buffer.from(kept.join('\n') + '\n') };
  }

  /**
   * Whether any row's trace id is a deleted one, scanned in the bytes (no decoding of the payload): the common
   * batch, with no row of a deleted trace, costs one pass of Buffer.indexOf.
   */
  private mayName(payload: Buffer): boolean {
    for (let at = payload.indexOf(traceIdBytes); at >= 0; at = payload.indexOf(traceIdBytes, at + 1)) {
      const start = at + traceIdBytes.length;
      const end = payload.indexOf(0x22, start);
      if (end < 0) return false;
      if (this.tenantsByTrace.has(payload.toString('latin1', start, end))) return true;
    }
    return false;
  }

  private namesDeleted(line: string): boolean {
    const at = line.indexOf(traceIdField);
    if (at < 0) return false;
    const start = at + traceIdField.length;
    const traceId = line.slice(start, line.indexOf('"', start));
    const tenants = this.tenantsByTrace.get(traceId);
    if (!tenants) return false;
    for (const tenant of tenants) if (line.includes(`"tenant":${JSON.stringify(tenant)}`)) return true;
    return false;
  }
}
