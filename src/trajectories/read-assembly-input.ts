/**
 * Reads what assembly needs for a set of traces of one tenant: spans, their contents (each distinct message once
 * per trace, parsed once), evaluation log records and feedback, one query each (`trace_id IN [...]`, point reads on the (tenant, trace_id) sort key), in parallel, plus the AIR
 * rule values. The API's single-trajectory read and the summarizer's batches share it.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { loadSql } from '../store/sql-files.ts';
import { toStoreError } from '../store/store-error.ts';
import { TraceContents } from '../store/trace-contents.ts';
import { airRuleValues } from './air-rewards.ts';
import {
  toAssemblySpan,
  toEvaluationRecord,
  toFeedbackRecord,
  type AirRuleValues,
  type AssemblyInput,
  type AssemblySpanRow,
  type EvaluationRow,
  type FeedbackRow,
} from './assembly-input.ts';

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

async function queryText(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<string> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.text();
}

/**
 * The answer's bytes decoded in one piece: the result set's `text()` decodes chunk by chunk through a streaming
 * TextDecoder and then measures the string's UTF-8 length for its tracing span, which cost more than the parse
 * on an export's span and content reads. For the read queries of this module, whose text ends in a clause
 * FORMAT may follow.
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

async function readRows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  return parseJsonEachRow<T>(await execText(client, query, 'JSONEachRow', params));
}

export async function queryRows<T>(
  client: ClickHouseClient,
  file: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  return parseJsonEachRow<T>(await queryText(client, loadSql(file), params));
}

/**
 * The traces' contents (queries/trace-contents.sql, the query the trace API reads them with). Reading only the hashes assembly resolves (a subquery over the
 * spans' refs) ships half the bytes on agent loops but made ClickHouse 3-5x slower at the query.
 */
async function readAssemblyContents(
  client: ClickHouseClient,
  params: { tenant: string; trace_ids: string[] },
): Promise<TraceContents> {
  return new TraceContents(
    await readRows<{ trace_id: string; hash: string; text: string }>(
      client,
      loadSql('queries/trace-contents.sql'),
      params,
    ),
  );
}

export async function readAirRules(client: ClickHouseClient): Promise<AirRuleValues> {
  return airRuleValues(await queryRows<{ rule: string; reward: number | string }>(client, 'queries/air-rules.sql', {}));
}

export async function readAssemblyInput(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
  airRules?: AirRuleValues,
): Promise<AssemblyInput> {
  if (traceIds.length === 0)
    return { tenant, spans: [], evaluations: [], feedback: [], airRules: airRules ?? new Map(), stitches: new Map() };
  const params = { tenant, trace_ids: traceIds };
  const [spans, contents, evaluations, feedback, rules, stitches] = await Promise.all([
    readRows<AssemblySpanRow>(client, loadSql('queries/assembly-spans.sql'), params),
    readAssemblyContents(client, params),
    readRows<EvaluationRow>(client, loadSql('queries/assembly-evaluations.sql'), params),
    readRows<FeedbackRow>(client, loadSql('queries/assembly-feedback.sql'), params),
    airRules ?? readAirRules(client),
    readRows<{ trace_id: string; trajectory_id: string }>(client, loadSql('queries/trace-stitches.sql'), params),
  ]);
  return {
    tenant,
    spans: spans.map((row) => toAssemblySpan(row, contents)),
    evaluations: evaluations.map(toEvaluationRecord),
    feedback: feedback.map(toFeedbackRecord),
    airRules: rules,
    stitches: new Map(stitches.map((row) => [row.trace_id, row.trajectory_id])),
  };
}
