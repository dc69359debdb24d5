/**
 * Reads a query's whole answer and parses it in one piece: the readers whose answers are large (assembly's spans,
 * a trace's contents) spend less here than in the client's row stream.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { EventLoopTurns } from './event-loop-turns.ts';
import { toStoreError } from './store-error.ts';

/**
 * The rows of a JSONEachRow answer, parsed in one `JSON.parse` of the whole body as an array. The parse itself
 * costs about what the client's row-by-row parse does; what it saves is the client's object-mode stream, one
 * string per line (spans of 256 traces: 18 ms as text against 27 ms through `json()`). A raw newline only ever
 * separates rows (ClickHouse escapes it inside strings). A body that is not rows (an error ClickHouse appended
 * to a stream it had started) is reported with its tail, where the error is.
 */
export function parseJsonEachRow<T>(text: string): T[] {
  if (text.length === 0) return [];
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  try {
    return JSON.parse(`[${body.replaceAll('\n', ',')}]`) as T[];
  } catch (error) {
    throw new Error(`ClickHouse answered with something other than JSONEachRow rows: ...${text.slice(-500)}`, {
      cause: error,
    });
  }
}

/** Parsed a slice of about this many characters at a time, between which the event loop gets a turn. */
const parseSliceChars = 512 * 1024;

/**
 * `parseJsonEachRow` for answers that may be large (a 20k-span trace is tens of MB, a quarter second or more in
 * one JSON.parse): the rows are parsed a slice at a time, yielding to the event loop between slices.
 */
export async function parseJsonEachRowYielding<T>(text: string): Promise<T[]> {
  if (text.length <= parseSliceChars) return parseJsonEachRow<T>(text);
  const turns = new EventLoopTurns();
  const rows: T[] = [];
  let start = 0;
  while (start < text.length) {
    // Slices end at a row's newline (a raw newline only ever separates rows).
    const newline = text.indexOf('\n', Math.min(start + parseSliceChars, text.length - 1));
    const end = newline === -1 ? text.length : newline + 1;
    for (const row of parseJsonEachRow<T>(text.slice(start, end))) rows.push(row);
    start = end;
    await turns.maybeYield();
  }
  return rows;
}

/**
 * The answer's bytes decoded in one piece: the result set's `text()` decodes chunk by chunk through a streaming
 * TextDecoder and then measures the string's UTF-8 length for its tracing span, which cost more than the parse
 * on an export's span and content reads. For read queries whose text ends in a clause FORMAT may follow.
 */
async function execText(
  client: ClickHouseClient,
  query: string,
  format: string,
  params: Record<string, unknown>,
): Promise<string> {
  const { stream } = await client.exec({ query: `${query}\nFORMAT ${format}`, query_params: params });
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (error) {
    throw toStoreError(error);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readRows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  return parseJsonEachRowYielding<T>(await execText(client, query, 'JSONEachRow', params));
}
