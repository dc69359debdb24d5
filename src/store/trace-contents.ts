/**
 * The contents of a set of traces (content stored once per trace, content-refs.ts), for readers that resolve
 * span refs in TypeScript rather than through resolved-spans.sql: each distinct text is shipped once per trace
 * and parsed once, however many spans of an agent loop re-sent it. The same rule as the view: a list with refs
 * is its referenced elements in order; a list without refs is its inline JSON text.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { AttributeRef } from './content-refs.ts';
import { parseJsonArray, parseJsonText } from './json-text.ts';
import { readRows } from './read-rows.ts';
import { loadSql } from './sql-files.ts';

const missing = Symbol('missing');

function contentKey(traceId: string, hash: string): string {
  return `${traceId}\u0000${hash}`;
}

export class TraceContents {
  private readonly texts = new Map<string, string>();
  private readonly parsed = new Map<string, unknown>();

  constructor(rows: ReadonlyArray<{ trace_id: string; hash: string; text: string }> = []) {
    for (const row of rows) this.texts.set(contentKey(row.trace_id, row.hash), row.text);
  }

  /**
   * The parsed JSON of one content; the same object for every span that refers to it, so readers must not
   * mutate what they get (assembly and the exporters build new objects).
   */
  private value(traceId: string, hash: string): unknown {
    const key = contentKey(traceId, hash);
    let value = this.parsed.get(key);
    if (value === undefined) {
      const text = this.texts.get(key);
      value = text === undefined ? missing : parseJsonText<unknown>(text, missing);
      this.parsed.set(key, value);
    }
    return value;
  }

  /** A message list or other JSON array column: its refs' elements when it has refs, else its inline text. */
  list<T = unknown>(traceId: string, refs: readonly string[] | undefined, inline: string): T[] {
    if (!refs || refs.length === 0) return parseJsonArray<T>(inline);
    const items: T[] = [];
    for (const ref of refs) {
      const item = this.value(traceId, ref);
      // A content ClickHouse refused (dead-lettered) is left out, as the view leaves it out.
      if (item !== missing) items.push(item as T);
    }
    return items;
  }

  /** A text column stored once (a long tool result): the ref's text, else the inline text. */
  text(traceId: string, ref: string | undefined, inline: string): string {
    if (!ref) return inline;
    return this.texts.get(contentKey(traceId, ref)) ?? '';
  }

  /** A long attribute value: its pieces joined (a missing piece reads as '', as in resolved-spans.sql). */
  joined(traceId: string, ref: Pick<AttributeRef, 'open' | 'separator' | 'close' | 'refs'>): string {
    const pieces = ref.refs.map((hash) => this.texts.get(contentKey(traceId, hash)) ?? '');
    return ref.open + pieces.join(ref.separator) + ref.close;
  }

  /** A JSON array stored whole as one content (tool definitions): the ref's array, else the inline text. */
  whole<T = unknown>(traceId: string, ref: string | undefined, inline: string): T[] {
    if (!ref) return parseJsonArray<T>(inline);
    const value = this.value(traceId, ref);
    return Array.isArray(value) ? (value as T[]) : [];
  }
}

export async function readTraceContents(
  client: ClickHouseClient,
  tenant: string,
  traceIds: readonly string[],
): Promise<TraceContents> {
  if (traceIds.length === 0) return new TraceContents();
  const rows = await readRows<{ trace_id: string; hash: string; text: string }>(
    client,
    loadSql('queries/trace-contents.sql'),
    { tenant, trace_ids: traceIds },
  );
  return new TraceContents(rows);
}
