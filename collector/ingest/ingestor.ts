/**
 * The ingest pipeline's front: appends each accepted request to the write-ahead log as one unit (trace requests
 * as they arrived, log records mapped onto rows) and answers whether it may be acknowledged. Admission control lives
 * here too, so every transport (OTLP/HTTP, OTLP/gRPC) applies the same backpressure rules.
 */
import { mapLogRecord } from '../../src/conventions/index.ts';
import type { DecodedLogs, DecodedTraces } from '../../src/model/otlp.ts';
import type { LogMapping } from '../../src/conventions/log-mapping.ts';
import { eventRow } from '../../src/store/span-row.ts';
import { RecentContents } from './recent-contents.ts';
import { buildTraceRows, rowsPayload, safely } from './trace-rows.ts';
import { traceRequestRecord, type TraceRequest } from './trace-request-record.ts';
import type { IngestResult } from './ingest-result.ts';
import type { StoreWriter } from './store-writer.ts';
import type { WalRecord, WriteAheadLog } from './write-ahead-log.ts';

export interface IngestLimits {
  /** Backlog (bytes in the log not yet in ClickHouse) above which a healthy receiver answers 429. */
  maxPendingBytes: number;
  /** Backlog above which a receiver whose store is down answers 503. */
  maxLogBytes: number;
  /**
   * Backlog above which trace requests have their rows built before the ack again, as log records do: the
   * request waits for its share of the work, which paces clients to what the store takes, instead of filling the
   * log until 429s start. @default 16 MiB
   */
  buildRowsOnAckAboveBytes?: number;
}

const defaultBuildRowsOnAckAboveBytes = 16 * 1024 * 1024;

/** What a client is told when the log cannot be written: the error code (ENOSPC, EIO), never a path. */
function logUnwritableMessage(error: Error): string {
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
  return `the receiver cannot write its write-ahead log${code ? ` (${code})` : ''}; retry later (the receiver log has the details)`;
}

export class Ingestor {
  private readonly log: WriteAheadLog;
  private readonly writer: StoreWriter;
  private readonly limits: IngestLimits;
  private readonly recentContents = new RecentContents();

  private readonly onError: ((error: Error) => void) | undefined;

  /** `onError` receives each failed log append with its full text (for the receiver log). */
  constructor(log: WriteAheadLog, writer: StoreWriter, limits: IngestLimits, onError?: (error: Error) => void) {
    this.log = log;
    this.writer = writer;
    this.limits = limits;
    this.onError = onError;
  }

  /**
   * Whether a new request may be taken at all; checked before its body is decoded. Messages go to clients, so
   * they carry no ClickHouse text and no server path; the detail is in the receiver log (onError, the store
   * writer's own log lines).
   */
  admission(): IngestResult {
    const failure = this.log.failure;
    if (failure) return { status: 'unavailable', retryAfterSeconds: 30, message: logUnwritableMessage(failure) };
    // Refused before the body is read: the log would refuse the append anyway, keeping the reserve for the store.
    if (this.log.diskSpace.low) {
      return {
        status: 'unavailable',
        retryAfterSeconds: 30,
        message: "the disk under the receiver's write-ahead log is below its free-space reserve; retry later",
      };
    }
    const pending = this.log.pendingBytes;
    if (this.writer.storeFailing) {
      if (pending > this.limits.maxLogBytes) {
        return {
          status: 'unavailable',
          retryAfterSeconds: 5,
          message: `ClickHouse is unavailable and the write-ahead log holds ${pending} bytes, over its ${this.limits.maxLogBytes}-byte bound; retry later (the receiver log has the store's error)`,
        };
      }
      return { status: 'accepted' };
    }
    if (pending > this.limits.maxPendingBytes) {
      return {
        status: 'overloaded',
        retryAfterSeconds: 1,
        message: `receiver overloaded: ${pending} bytes wait for ClickHouse, over the ${this.limits.maxPendingBytes}-byte bound`,
      };
    }
    return { status: 'accepted' };
  }

  /**
   * Logs an accepted trace export request as it arrived and acknowledges it; the store writer builds its rows
   * afterwards (collector/ingest/trace-request-record.ts). `decoded` is the request's decoding, which validated it.
   * With a backlog over `buildRowsOnAckAboveBytes` the rows are built here instead (`ingestTraces`).
   */
  async ingestTraceRequest(request: TraceRequest, decoded: DecodedTraces): Promise<IngestResult> {
    if (decoded.spans.length === 0) return { status: 'accepted' };
    if (this.log.pendingBytes > (this.limits.buildRowsOnAckAboveBytes ?? defaultBuildRowsOnAckAboveBytes)) {
      return await this.ingestTraces(request.tenant, decoded);
    }
    return await this.append([traceRequestRecord(request, decoded.spans.length)]);
  }

  /**
   * Builds the rows of decoded spans before logging them, leaving out contents earlier calls logged: for callers
   * without the request's bytes (and the benchmarks' raw-insert baselines, which need the rows themselves).
   */
  async ingestTraces(tenant: string, decoded: DecodedTraces): Promise<IngestResult> {
    if (decoded.spans.length === 0) return { status: 'accepted' };
    const rows = await buildTraceRows(tenant, decoded.spans, (key) => this.recentContents.has(key));
    const result = await this.append(rows.records);
    if (result.status === 'accepted') this.recentContents.remember(rows.contentKeys);
    return result;
  }

  async ingestLogs(tenant: string, decoded: DecodedLogs): Promise<IngestResult> {
    if (decoded.logs.length === 0) return { status: 'accepted' };
    const lines: string[] = [];
    for (const record of decoded.logs) {
      const mapping = safely<LogMapping>(() => mapLogRecord(record), { event_name: record.eventName });
      lines.push(JSON.stringify(eventRow(tenant, record, mapping)));
    }
    return this.append([{ table: 'events', rows: lines.length, payload: rowsPayload(lines) }]);
  }

  private async append(records: WalRecord[]): Promise<IngestResult> {
    try {
      await this.log.append(records);
      return { status: 'accepted' };
    } catch (error) {
      // Disk full or I/O error: report it instead of acknowledging data that is not durable.
      this.onError?.(error as Error);
      return { status: 'unavailable', retryAfterSeconds: 30, message: logUnwritableMessage(error as Error) };
    }
  }
}
