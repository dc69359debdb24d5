/**
 * Trajectory read benchmark: ~1,000,000 realistic agent spans (50,000 traces of 20 spans: an agent, 6 LLM calls
 * with growing conversations, 12 tool executions, a reward) inserted straight into `spans` (this measures reads,
 * not ingest), then the summarizer builds `trajectory_summaries` (the same code the receiver runs in the
 * background, in batches), then p50/p99 of fetching one trajectory through `getTrajectory` beside a plain read of
 * the same trace's raw spans (`readTraceSpans`), and of list pages (cursor pages, filtered pages).
 */
import { rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSummarizer } from '../collector/summaries/summarizer.ts';
import { openMigratedStore } from '../src/store/migrate.ts';
import { readTraceSpans } from '../src/store/read-spans.ts';
import { getTrajectory, listTrajectories } from '../src/trajectories/read-trajectories.ts';
import { percentile, type BenchResult } from './report.ts';

const traceCount = Number(process.env['BENCH_TRAJECTORY_TRACES'] ?? 50_000);
const spansPerTrace = 20;
const batchTraces = 5_000;
const samples = 100;
const listSamples = 50;

const hex = (value: number, length: number) => value.toString(16).padStart(length, '0').slice(-length);
const traceIdOf = (trace: number) => `${hex(0xabc, 8)}${hex(trace, 24)}`;
const spanIdOf = (trace: number, span: number) => `${hex(trace, 12)}${hex(span, 4)}`;

function traceRows(trace: number, baseNanos: bigint): Array<Record<string, unknown>> {
  const traceId = traceIdOf(trace);
  const agentId = spanIdOf(trace, 0);
  const start = baseNanos + BigInt(trace) * 10_000_000_000n;
  const second = 1_000_000_000n;
  const rows: Array<Record<string, unknown>> = [];
  const span = (index: number, fields: Record<string, unknown>, from: bigint, to: bigint) =>
    rows.push({
      tenant: 'default',
      trace_id: traceId,
      span_id: spanIdOf(trace, index),
      parent_span_id: index === 0 ? '' : agentId,
      status: 'ok',
      start_time_unix_nano: from.toString(),
      end_time_unix_nano: to.toString(),
      service_name: 'bench-agent',
      ...fields,
    });
  const task = `Task ${trace % 5_000}: find the cheapest flight for route ${trace % 97}`;
  span(
    0,
    { name: 'invoke_agent planner', kind: 'agent', operation: 'invoke_agent', agent_name: `agent-${trace % 10}`, task },
    start,
    start + 30n * second,
  );
  const conversation: unknown[] = [
    { role: 'system', content: 'You are a travel agent. '.repeat(20) },
    { role: 'user', content: task },
  ];
  for (let turn = 0; turn < 6; turn++) {
    const at = start + BigInt(turn * 4 + 1) * second;
    const calls = [0, 1].map((k) => ({
      id: `call_${turn}_${k}`,
      type: 'function',
      function: { name: k ? 'prices' : 'search', arguments: `{"q":"${turn}-${k}"}` },
    }));
    const output = { role: 'assistant', content: null, tool_calls: calls };
    span(
      1 + turn * 3,
      {
        name: 'chat gpt-4o',
        kind: 'llm',
        operation: 'chat',
        provider: 'openai',
        model: 'gpt-4o',
        input_tokens: 500 + turn * 100,
        output_tokens: 40,
        input_messages: JSON.stringify(conversation),
        output_messages: JSON.stringify([output]),
      },
      at,
      at + second,
    );
    conversation.push(output);
    for (let k = 0; k < 2; k++) {
      const result = `result ${turn}-${k}: ${'flight option; '.repeat(10)}`;
      span(
        2 + turn * 3 + k,
        {
          name: 'execute_tool',
          kind: 'tool',
          operation: 'execute_tool',
          tool_name: k ? 'prices' : 'search',
          tool_call_id: `call_${turn}_${k}`,
          tool_arguments: `{"q":"${turn}-${k}"}`,
          tool_result: result,
          status: turn === 3 && k === 1 ? 'error' : 'ok',
        },
        at + second,
        at + 2n * second,
      );
      conversation.push({ role: 'tool', content: result, tool_call_id: `call_${turn}_${k}` });
    }
  }
  span(
    19,
    { name: 'agentlightning.annotation', kind: 'reward', rewards: [{ name: 'primary', value: (trace % 10) / 10 }] },
    start + 29n * second,
    start + 29n * second,
  );
  return rows;
}

async function time<T>(run: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

export async function benchTrajectoryQueries(): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trajectories-bench-'));
  const store = await openMigratedStore({ dataDir });
  try {
    const baseNanos = BigInt(Date.now() - 86_400_000 * 7) * 1_000_000n;
    const loadStarted = performance.now();
    for (let first = 0; first < traceCount; first += batchTraces) {
      const values: Array<Record<string, unknown>> = [];
      for (let trace = first; trace < Math.min(traceCount, first + batchTraces); trace++)
        values.push(...traceRows(trace, baseNanos));
      await store.client.insert({ table: 'spans', values, format: 'JSONEachRow' });
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await store.client.command({ query: 'OPTIMIZE TABLE trace_index FINAL' });
    const summarizeStarted = performance.now();
    const summarizer = createSummarizer(store.client, { batchTraces: 1000 });
    await summarizer.flush(600_000);
    const summarizeSeconds = (performance.now() - summarizeStarted) / 1000;
    // The background merge would get there too; merged parts make FINAL cheaper, as in a long-running receiver.
    await store.client.command({ query: 'OPTIMIZE TABLE trajectory_summaries FINAL' });
    const settings = { quietSeconds: 0, gamma: 0.99 };

    const picks = Array.from({ length: samples }, (_, index) => Math.floor(((index + 0.5) / samples) * traceCount));
    // Warm both paths once so the first sample does not pay for loading marks and parsing the views.
    await readTraceSpans(store.client, 'default', traceIdOf(0));
    await getTrajectory(store.client, 'default', `${traceIdOf(0)}-${spanIdOf(0, 0)}`, settings);
    const raw: number[] = [];
    const fetched: number[] = [];
    for (const trace of picks) {
      raw.push(await time(() => readTraceSpans(store.client, 'default', traceIdOf(trace))));
      fetched.push(
        await time(async () => {
          const trajectory = await getTrajectory(
            store.client,
            'default',
            `${traceIdOf(trace)}-${spanIdOf(trace, 0)}`,
            settings,
          );
          if (!trajectory || trajectory.turns.length !== 6)
            throw new Error(`trajectory of trace ${trace} came back incomplete`);
        }),
      );
    }
    const listed: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < listSamples; page++) {
      listed.push(
        await time(async () => {
          const result = await listTrajectories(store.client, 'default', {}, { limit: 50, cursor }, settings);
          cursor = result.next_cursor ?? undefined;
        }),
      );
    }
    const filtered: number[] = [];
    for (let page = 0; page < listSamples; page++) {
      filtered.push(
        await time(async () => {
          const result = await listTrajectories(
            store.client,
            'default',
            { agent: `agent-${page % 10}`, min_reward: 0.5 },
            { limit: 50 },
            settings,
          );
          if (page % 10 >= 5 && result.trajectories.length !== 50)
            throw new Error(`filtered page ${page} returned ${result.trajectories.length}`);
        }),
      );
    }
    const rawP50 = percentile(raw, 0.5);
    const rawP99 = percentile(raw, 0.99);
    const result = (name: string, value: number, unit: string, baseline?: number): BenchResult =>
      baseline === undefined ? { name, value, unit } : { name, value, unit, baseline, ratio: value / baseline };
    return [
      result(
        `trajectory bench: spans loaded (${traceCount * spansPerTrace})`,
        (traceCount * spansPerTrace) / loadSeconds,
        'spans/s',
      ),
      result(
        `trajectory summaries built by the summarizer (${traceCount} traces)`,
        traceCount / summarizeSeconds,
        'traces/s',
      ),
      result('trajectory fetch p50 (vs raw trace span read)', percentile(fetched, 0.5), 'ms', rawP50),
      result('trajectory fetch p99 (vs raw trace span read)', percentile(fetched, 0.99), 'ms', rawP99),
      result('trajectory list page p50 (limit 50, keyset)', percentile(listed, 0.5), 'ms'),
      result('trajectory list page p99 (limit 50, keyset)', percentile(listed, 0.99), 'ms'),
      result('trajectory filtered list p50 (agent + min_reward)', percentile(filtered, 0.5), 'ms'),
      result('trajectory filtered list p99 (agent + min_reward)', percentile(filtered, 0.99), 'ms'),
    ];
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
