/**
 * The store writer's row building: each logged trace export request (collector/ingest/trace-request-record.ts) of
 * a batch read from the write-ahead log becomes its `contents` and `spans` rows; other records pass through.
 *
 * Content a trace already stored is left out (an agent loop re-sends its history with every call), and which
 * content counts as stored follows the log's checkpoint: the keys of a batch are provisional until the writer
 * commits that batch, so a batch retried after a failed insert is built again with its contents, and a batch built
 * ahead while the one before it is inserted (the writer's pipelining) already leaves out what that one adds.
 */
import { RecentContents } from './recent-contents.ts';
import { buildTraceRows } from './trace-rows.ts';
import { decodeTraceRequest, readTraceRequest } from './trace-request-record.ts';
import type { WalRecord } from './wal-record-format.ts';

export interface BuiltBatch {
  /** Rows for ClickHouse: every `otlp_traces` record replaced by its `contents` and `spans` records. */
  records: WalRecord[];
  /** Content keys this batch adds, remembered as stored once the batch is committed. */
  contentKeys: string[];
  /** Logged requests that could not be read back (a log from a newer release, say): for the dead-letter file. */
  unreadable: Array<{ payload: Buffer; reason: string }>;
}

export class TraceRequestRows {
  private readonly stored = new RecentContents();
  private readonly provisional = new Set<string>();
  private readonly known = (key: string): boolean => this.stored.has(key) || this.provisional.has(key);

  async build(records: readonly WalRecord[]): Promise<BuiltBatch> {
    const built: BuiltBatch = { records: [], contentKeys: [], unreadable: [] };
    for (const record of records) {
      if (record.table !== 'otlp_traces') {
        built.records.push(record);
        continue;
      }
      let request;
      let spans;
      try {
        request = readTraceRequest(record.payload);
        spans = decodeTraceRequest(request).spans;
      } catch (error) {
        const reason = `a logged trace export request cannot be read back: ${(error as Error).message}`;
        built.unreadable.push({ payload: record.payload, reason });
        continue;
      }
      const rows = await buildTraceRows(request.tenant, spans, this.known);
      built.records.push(...rows.records);
      for (const key of rows.contentKeys) {
        this.provisional.add(key);
        built.contentKeys.push(key);
      }
    }
    return built;
  }

  /** The batch is in ClickHouse (or the dead-letter file): its contents count as stored. */
  committed(batch: BuiltBatch): void {
    for (const key of batch.contentKeys) this.provisional.delete(key);
    this.stored.remember(batch.contentKeys);
  }

  /** A batch failed and everything after the checkpoint is built again: nothing provisional counts as stored. */
  discardUncommitted(): void {
    this.provisional.clear();
  }
}
