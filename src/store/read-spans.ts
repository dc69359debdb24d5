/**
 * Reads canonical spans back from the `spans` table: the JSON text columns become structured fields again, so
 * API clients get the same shape the mappings produced. The row type is derived from the span row type
 * (span-row.ts), so a renamed column fails to compile here too.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { CanonicalSpan } from '../model/span.ts';
import { loadSql } from './sql-files.ts';
import { parseJsonText } from './json-text.ts';
import type { SpanColumns, SpanRow } from './span-row.ts';

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
    // The query maps each (name, value) tuple to {name, value: toString(value)}.
    SpanColumns<'rewards', Array<{ name: string; value: string }>> {}

function tokenCount(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

export function toCanonicalSpan(row: TraceSpanRow): CanonicalSpan {
  return {
    ...row,
    input_tokens: tokenCount(row.input_tokens),
    output_tokens: tokenCount(row.output_tokens),
    cache_read_tokens: tokenCount(row.cache_read_tokens),
    cache_creation_tokens: tokenCount(row.cache_creation_tokens),
    reasoning_tokens: tokenCount(row.reasoning_tokens),
    input_messages: parseJsonText(row.input_messages, []),
    output_messages: parseJsonText(row.output_messages, []),
    tool_definitions: parseJsonText(row.tool_definitions, []),
    rewards: row.rewards.map((reward) => ({ name: reward.name, value: Number(reward.value) })),
    attributes: parseJsonText(row.attributes, {}),
    resource_attributes: parseJsonText(row.resource_attributes, {}),
    events: parseJsonText(row.events, []),
    links: parseJsonText(row.links, []),
  };
}

export async function readTraceSpans(
  client: ClickHouseClient,
  tenant: string,
  traceId: string,
): Promise<CanonicalSpan[]> {
  const result = await client.query({
    query: loadSql('queries/trace-spans.sql'),
    query_params: { tenant, trace_id: traceId },
    format: 'JSONEachRow',
  });
  return (await result.json<TraceSpanRow>()).map(toCanonicalSpan);
}
