/**
 * Reads what assembly needs for a set of traces of one tenant: spans, their contents (each distinct message once
 * per trace, parsed once), evaluation log records and feedback, one query each (`trace_id IN [...]`, point reads
 * on the (tenant, trace_id) sort key), in parallel, plus the AIR rule values. The API's single-trajectory read and
 * the exports share it (the summarizer reads leaner, read-summary-input.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { mapYielding } from '../store/event-loop-turns.ts';
import { loadSql } from '../store/sql-files.ts';
import { parseJsonEachRow, readRows } from '../store/read-rows.ts';
import { readTraceContents } from '../store/trace-contents.ts';
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

async function queryText(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<string> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.text();
}

export async function queryRows<T>(
  client: ClickHouseClient,
  file: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  return parseJsonEachRow<T>(await queryText(client, loadSql(file), params));
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
    readTraceContents(client, tenant, traceIds),
    readRows<EvaluationRow>(client, loadSql('queries/assembly-evaluations.sql'), params),
    readRows<FeedbackRow>(client, loadSql('queries/assembly-feedback.sql'), params),
    airRules ?? readAirRules(client),
    readRows<{ trace_id: string; trajectory_id: string }>(client, loadSql('queries/trace-stitches.sql'), params),
  ]);
  return {
    tenant,
    spans: await mapYielding(spans, (row) => toAssemblySpan(row, contents)),
    evaluations: evaluations.map(toEvaluationRecord),
    feedback: feedback.map(toFeedbackRecord),
    airRules: rules,
    stitches: new Map(stitches.map((row) => [row.trace_id, row.trajectory_id])),
  };
}
