/**
 * The summarizer's lean read: what assembly needs for the `trajectory_summaries` rows of a set of traces, without
 * the message history. A summary row takes from the spans
 *   - ids, parents, kinds, status, times, ingested_at: assignment, start/end/duration, has_root, errors, outcome;
 *   - tokens of llm spans; agent name/id, conversation, task, task id, rollout/attempt ids: copied or preferred;
 *   - the first user message of the first model call: the task (via first_user_text) and the task id hash;
 *   - output messages and the tool spans' call ids and start times: turn and tool-call counts, by the same pairing
 *     the turns use (assemble-turns.ts);
 *   - rewards of reward spans and evaluation events, evaluation records, feedback: the final reward.
 * It never reads tool definitions, tool arguments or results, nor input messages other than user ones, so
 * queries/summary-spans.sql and summary-contents.sql leave those out (in ClickHouse, before anything is shipped or
 * parsed): of a row with refs only the user and output messages among its contents are shipped, of a row with its
 * input inline only the first user message. The spans come back in the shape of the full read
 * (read-assembly-input.ts), so the one assembly computes both; the turns it assembles from them lack most input
 * and new messages and the tool results, which no summary column reads (the first user message is the first user
 * one in either list). Rows stay byte-identical to the full read's (test/trajectories/summarizer-lean-read.test.ts).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadSql } from '../store/sql-files.ts';
import { TraceContents } from '../store/trace-contents.ts';
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
import { queryRows, readAirRules } from './read-assembly-input.ts';

interface ContentRow {
  trace_id: string;
  hash: string;
  text: string;
}

/** Rows parsed between two turns of the event loop: a few milliseconds of work, so acks are never held up long. */
const rowsPerSlice = 250;

/**
 * Rows of a query, each converted as it is parsed, shipped as JSONCompactEachRowWithNames: a batch is tens of
 * thousands of rows of some 30 columns, and leaving the column names out of every row halves what ClickHouse
 * formats and the parser reads. The parse yields to the event loop every `rowsPerSlice` rows, so a batch of
 * megabytes never blocks the receiver's acknowledgements for the whole of it.
 */
async function queryCompactRows<Row, T>(
  client: ClickHouseClient,
  file: string,
  params: Record<string, unknown>,
  convert: (row: Row) => T,
): Promise<T[]> {
  const result = await client.query({
    query: loadSql(file),
    query_params: params,
    format: 'JSONCompactEachRowWithNames',
  });
  const text = await result.text();
  const converted: T[] = [];
  let columns: string[] | undefined;
  let parsed = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const values = JSON.parse(text.slice(start, end)) as unknown[];
      if (!columns) columns = values as string[];
      else {
        const row: Record<string, unknown> = {};
        for (let index = 0; index < columns.length; index++) row[columns[index]!] = values[index];
        converted.push(convert(row as Row));
        if (++parsed % rowsPerSlice === 0) await yieldToEventLoop();
      }
    }
    start = end + 1;
  }
  return converted;
}

export async function readSummaryInput(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
  airRules?: AirRuleValues,
): Promise<AssemblyInput> {
  if (traceIds.length === 0)
    return { tenant, spans: [], evaluations: [], feedback: [], airRules: airRules ?? new Map(), stitches: new Map() };
  const params = { tenant, trace_ids: traceIds };
  // The contents first: each span row is converted (its refs resolved) as it is parsed.
  const contents = new TraceContents(
    await queryCompactRows(client, 'queries/summary-contents.sql', params, (row: ContentRow) => row),
  );
  const [spans, evaluations, feedback, rules, stitches] = await Promise.all([
    queryCompactRows(client, 'queries/summary-spans.sql', params, (row: AssemblySpanRow) =>
      toAssemblySpan(row, contents),
    ),
    queryRows<EvaluationRow>(client, 'queries/assembly-evaluations.sql', params),
    queryRows<FeedbackRow>(client, 'queries/assembly-feedback.sql', params),
    airRules ?? readAirRules(client),
    queryRows<{ trace_id: string; trajectory_id: string }>(client, 'queries/trace-stitches.sql', params),
  ]);
  return {
    tenant,
    spans,
    evaluations: evaluations.map(toEvaluationRecord),
    feedback: feedback.map(toFeedbackRecord),
    airRules: rules,
    stitches: new Map(stitches.map((row) => [row.trace_id, row.trajectory_id])),
  };
}
