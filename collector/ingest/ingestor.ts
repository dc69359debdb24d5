/**
 * The ingest pipeline's front: maps decoded spans and log records onto canonical rows, appends them to the
 * write-ahead log as one unit, and answers whether the request may be acknowledged. Admission control lives
 * here too, so every transport (OTLP/HTTP, OTLP/gRPC) applies the same backpressure rules.
 */
import { diag } from '@opentelemetry/api';
import { mapLogRecord, mapSpan } from '../../src/conventions/index.ts';
import type { DecodedLogs, DecodedTraces } from '../../src/model/otlp.ts';
import type { SpanMapping } from '../../src/model/span.ts';
import type { LogMapping } from '../../src/conventions/log-mapping.ts';
import { ContentCollector } from '../../src/store/content-refs.ts';
import { eventRow, spanRow } from '../../src/store/span-row.ts';
import { RecentContents } from './recent-contents.ts';
import type { IngestResult } from './ingest-result.ts';
import type { StoreWriter } from './store-writer.ts';
import type { WalRecord, WriteAheadLog } from './write-ahead-log.ts';

export interface IngestLimits {
  /** Backlog (bytes in the log not yet in ClickHouse) above which a healthy receiver answers 429. */
  maxPendingBytes: number;
  /** Backlog above which a receiver whose store is down answers 503. */
  maxLogBytes: number;
}

let mappingFailureLogged = false;

/**
 * JSONEachRow lines as one UTF-8 buffer. Each line is encoded straight into a slab sized for the worst case (3
 * bytes per UTF-16 unit, plus the newline): no joined string and no second pass over it. The exact bytes are then
 * copied out, so the slab does not stay alive behind the record.
 */
function rowsPayload(lines: string[]): Buffer {
  let units = 0;
  for (const line of lines) units += line.length + 1;
  const slab = Buffer.allocUnsafe(units * 3);
  let length = 0;
  for (const line of lines) {
    length += slab.write(line, length, 'utf8');
    slab[length++] = 0x0a;
  }
  return Buffer.from(slab.subarray(0, length));
}

function safely<T extends object>(map: () => T, fallback: T): T {
  try {
    return map();
  } catch (error) {
    // A mapping bug must never cost a span: store it with its original attributes and no derived columns.
    if (!mappingFailureLogged) {
      mappingFailureLogged = true;
      diag.error('convention mapping failed; storing the span unmapped', error);
      console.error('convention mapping failed; storing the span unmapped:', error);
    }
    return fallback;
  }
}

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

  async ingestTraces(tenant: string, decoded: DecodedTraces): Promise<IngestResult> {
    if (decoded.spans.length === 0) return { status: 'accepted' };
    const lines: string[] = [];
    const contents = new ContentCollector(tenant, (key) => this.recentContents.has(key));
    for (const span of decoded.spans) {
      const mapping = safely<SpanMapping>(() => mapSpan(span), {});
      lines.push(JSON.stringify(spanRow(tenant, span, mapping, contents)));
    }
    const records: WalRecord[] = [];
    // Contents first: the store writer inserts them before the spans that refer to them.
    if (contents.lines.length > 0) {
      records.push({ table: 'contents', rows: contents.lines.length, payload: rowsPayload(contents.lines) });
    }
    records.push({ table: 'spans', rows: lines.length, payload: rowsPayload(lines) });
    const result = await this.append(records);
    if (result.status === 'accepted') this.recentContents.remember(contents.keys);
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
