/**
 * Spans onto the rows the store writer inserts: a `contents` row per distinct message text not already stored for
 * its trace, and a `spans` row per span referring to them, as JSONEachRow lines in one buffer per table. This is
 * the receiver's most expensive JavaScript (mapping, hashing, serialising), so the writer runs it after the
 * request is acknowledged (collector/ingest/trace-request-rows.ts) while the store keeps up, and lets the event
 * loop in every few milliseconds.
 */
import { diag } from '@opentelemetry/api';
import { mapSpan } from '../../src/conventions/index.ts';
import type { OtlpSpan } from '../../src/model/otlp.ts';
import type { SpanMapping } from '../../src/model/span.ts';
import { ContentCollector } from '../../src/store/content-refs.ts';
import { EventLoopTurns } from '../../src/store/event-loop-turns.ts';
import { spanRow } from '../../src/store/span-row.ts';
import type { WalRecord } from './wal-record-format.ts';

let mappingFailureLogged = false;

/** Runs a convention mapping; a mapping bug must never cost a span, so it falls back to no derived columns. */
export function safely<T extends object>(map: () => T, fallback: T): T {
  try {
    return map();
  } catch (error) {
    if (!mappingFailureLogged) {
      mappingFailureLogged = true;
      diag.error('convention mapping failed; storing the span unmapped', error);
      console.error('convention mapping failed; storing the span unmapped:', error);
    }
    return fallback;
  }
}

/**
 * JSONEachRow lines as one UTF-8 buffer. Each line is encoded straight into a slab sized for the worst case (3
 * bytes per UTF-16 unit, plus the newline): no joined string and no second pass over it. The exact bytes are then
 * copied out, so the slab does not stay alive behind the record.
 */
export function rowsPayload(lines: string[]): Buffer {
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

export interface TraceRows {
  /** `contents` first (the writer inserts them before the spans that refer to them), then `spans`. */
  records: WalRecord[];
  /** Keys (tenant, trace, hash) of the contents these rows add. */
  contentKeys: string[];
}

function spanLine(tenant: string, span: OtlpSpan, contents: ContentCollector): string {
  const mapping = safely<SpanMapping>(() => mapSpan(span), {});
  return JSON.stringify(spanRow(tenant, span, mapping, contents));
}

function finish(contents: ContentCollector, lines: string[]): TraceRows {
  const records: WalRecord[] = [];
  if (contents.lines.length > 0) {
    records.push({ table: 'contents', rows: contents.lines.length, payload: rowsPayload(contents.lines) });
  }
  if (lines.length > 0) records.push({ table: 'spans', rows: lines.length, payload: rowsPayload(lines) });
  return { records, contentKeys: contents.keys };
}

/**
 * The rows of one tenant's spans; `known` says which content keys are stored already (their rows are left out).
 * Gives the event loop a turn every few milliseconds, so a large batch does not hold acknowledgements behind it.
 */
export async function buildTraceRows(
  tenant: string,
  spans: readonly OtlpSpan[],
  known: (key: string) => boolean,
): Promise<TraceRows> {
  const contents = new ContentCollector(tenant, known);
  const turns = new EventLoopTurns();
  const lines: string[] = [];
  for (const span of spans) {
    lines.push(spanLine(tenant, span, contents));
    await turns.maybeYield();
  }
  return finish(contents, lines);
}
