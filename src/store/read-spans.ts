/**
 * Reads canonical spans back from the `spans` table: the JSON text columns become structured fields again, so
 * API clients get the same shape the mappings produced.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { CanonicalSpan } from '../model/span.ts';
import { loadSql } from './sql-files.ts';
import { parseJsonText } from './json-text.ts';

type SpanRowJson = Omit<CanonicalSpan, 'input_messages' | 'output_messages' | 'tool_definitions' | 'attributes' | 'resource_attributes' | 'events' | 'links' | 'rewards'> & {
  input_messages: string;
  output_messages: string;
  tool_definitions: string;
  attributes: string;
  resource_attributes: string;
  events: string;
  links: string;
  rewards: Array<{ name: string; value: string }>;
  input_tokens: number | string | null;
  output_tokens: number | string | null;
  cache_read_tokens: number | string | null;
  cache_creation_tokens: number | string | null;
  reasoning_tokens: number | string | null;
};


function tokenCount(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

export function toCanonicalSpan(row: SpanRowJson): CanonicalSpan {
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

export async function readTraceSpans(client: ClickHouseClient, tenant: string, traceId: string): Promise<CanonicalSpan[]> {
  const result = await client.query({
    query: loadSql('queries/trace-spans.sql'),
    query_params: { tenant, trace_id: traceId },
    format: 'JSONEachRow',
  });
  return (await result.json<SpanRowJson>()).map(toCanonicalSpan);
}
