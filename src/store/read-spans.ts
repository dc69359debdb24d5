/**
 * Reads canonical spans back from the `spans` table: the JSON text columns become structured fields again, so
 * API clients get the same shape the mappings produced. The row type is derived from the span row type
 * (span-row.ts), so a renamed column fails to compile here too.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { CanonicalSpan } from '../model/span.ts';
import { mapYielding } from './event-loop-turns.ts';
import { readRows } from './read-rows.ts';
import { loadSql } from './sql-files.ts';
import { parseJsonText } from './json-text.ts';
import type { AttributeRef } from './content-refs.ts';
import type { SpanColumns, SpanRow } from './span-row.ts';
import { readTraceContents, TraceContents } from './trace-contents.ts';

/** Columns of queries/trace-spans.sql that read back as they were written. */
type TraceSpanPlainColumn =
  | 'tenant'
  | 'trace_id'
  | 'span_id'
  | 'parent_span_id'
  | 'name'
  | 'kind'
  | 'span_kind'
  | 'status'
  | 'status_message'
  | 'start_time_unix_nano'
  | 'end_time_unix_nano'
  | 'service_name'
  | 'scope_name'
  | 'scope_version'
  | 'convention'
  | 'operation'
  | 'provider'
  | 'model'
  | 'response_model'
  | 'response_id'
  | 'finish_reasons'
  | 'tool_name'
  | 'tool_call_id'
  | 'tool_arguments'
  | 'tool_result'
  | 'agent_name'
  | 'agent_id'
  | 'conversation_id'
  | 'task_id'
  | 'task'
  | 'rollout_id'
  | 'attempt_id'
  | 'error_type';

type TraceSpanJsonColumn =
  'input_messages' | 'output_messages' | 'tool_definitions' | 'attributes' | 'resource_attributes' | 'events' | 'links';

type TraceSpanTokenColumn =
  'input_tokens' | 'output_tokens' | 'cache_read_tokens' | 'cache_creation_tokens' | 'reasoning_tokens';

/** A row of queries/trace-spans.sql as JSONEachRow returns it: JSON text columns as text, UInt64 counts as numbers or strings. */
interface TraceSpanRow
  extends
    Pick<SpanRow, TraceSpanPlainColumn>,
    SpanColumns<TraceSpanJsonColumn, string>,
    SpanColumns<TraceSpanTokenColumn, number | string | null>,
    Pick<SpanRow, 'input_message_refs' | 'output_message_refs' | 'tool_definitions_ref' | 'tool_result_ref'>,
    // A named tuple may arrive as an object or as an array, depending on the output settings.
    SpanColumns<'attribute_refs', Array<AttributeRef | [string, string, string, string, string[]]>>,
    // The query maps each (name, value) tuple to {name, value: toString(value)}.
    SpanColumns<'rewards', Array<{ name: string; value: string }>> {}

function tokenCount(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

const inlineOnly = new TraceContents();

export function toCanonicalSpan(row: TraceSpanRow, contents: TraceContents = inlineOnly): CanonicalSpan {
  const {
    input_message_refs: inputRefs,
    output_message_refs: outputRefs,
    tool_definitions_ref: toolDefinitionsRef,
    tool_result_ref: toolResultRef,
    attribute_refs: attributeRefs,
    ...columns
  } = row;
  const attributes = parseJsonText<Record<string, unknown>>(row.attributes, {});
  for (const entry of attributeRefs) {
    const ref = Array.isArray(entry)
      ? { key: entry[0], open: entry[1], separator: entry[2], close: entry[3], refs: entry[4] }
      : entry;
    // defineProperty: an attribute named `__proto__` is an attribute like any other.
    Object.defineProperty(attributes, ref.key, {
      value: contents.joined(row.trace_id, ref),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return {
    ...columns,
    input_tokens: tokenCount(row.input_tokens),
    output_tokens: tokenCount(row.output_tokens),
    cache_read_tokens: tokenCount(row.cache_read_tokens),
    cache_creation_tokens: tokenCount(row.cache_creation_tokens),
    reasoning_tokens: tokenCount(row.reasoning_tokens),
    input_messages: contents.list(row.trace_id, inputRefs, row.input_messages),
    output_messages: contents.list(row.trace_id, outputRefs, row.output_messages),
    tool_definitions: contents.whole(row.trace_id, toolDefinitionsRef, row.tool_definitions),
    tool_result: contents.text(row.trace_id, toolResultRef, row.tool_result),
    rewards: row.rewards.map((reward) => ({ name: reward.name, value: Number(reward.value) })),
    attributes,
    resource_attributes: parseJsonText(row.resource_attributes, {}),
    events: parseJsonText(row.events, []),
    links: parseJsonText(row.links, []),
  };
}

/** A window of a trace's spans in (start, span id) order. */
export interface SpanPage {
  offset: number;
  limit: number;
}

/** How many spans the traces hold (what a read of them would walk). */
export async function countTraceSpans(client: ClickHouseClient, tenant: string, traceIds: string[]): Promise<number> {
  if (traceIds.length === 0) return 0;
  const [row] = await readRows<{ spans: number | string }>(client, loadSql('queries/trace-span-count.sql'), {
    tenant,
    trace_ids: traceIds,
  });
  return Number(row?.spans ?? 0);
}

export async function readTraceSpans(
  client: ClickHouseClient,
  tenant: string,
  traceId: string,
  page?: SpanPage,
): Promise<CanonicalSpan[]> {
  const query = page
    ? `${loadSql('queries/trace-spans.sql')}\nLIMIT {limit:UInt32} OFFSET {offset:UInt64}`
    : loadSql('queries/trace-spans.sql');
  const [rows, contents] = await Promise.all([
    readRows<TraceSpanRow>(client, query, { tenant, trace_id: traceId, ...page }),
    readTraceContents(client, tenant, [traceId]),
  ]);
  // A trace of an agent loop may hold tens of thousands of spans: resolve them without holding the event loop.
  return mapYielding(rows, (row) => toCanonicalSpan(row, contents));
}
