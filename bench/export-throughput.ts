/**
 * Export throughput: N realistic agent trajectories (agent span, 3 LLM calls with growing conversations and two
 * tool calls each, a reward) inserted straight into `spans`, then exported as openai-sft JSONL and as Parquet
 * through the same path the scheduled jobs use (list + get from the store, format, atomic write), beside a raw
 * `SELECT ... FORMAT JSONEachRow` of the same span rows in the same run. Reported in trajectories/s; the ratio
 * shows what assembly (views, credit) plus formatting and writing cost over reading the rows. Each of
 * BENCH_EXPORT_RUNS rounds (default 3) measures the raw read and both exports back to back; medians are reported.
 * BENCH_EXPORT_BATCH sets the trajectories per read (run-export.ts's default otherwise): on 3,000 trajectories
 * 128 gave 0.29 of raw, 256 0.39, 512 0.34-0.45 (5 rounds, same run, loaded machine), so the default is 256.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultFormatOptions } from '../src/exporters/export-format.ts';
import { getExportFormat } from '../src/exporters/formats/index.ts';
import { exportTrajectories } from '../src/exporters/run-export.ts';
import { storeTrajectorySource } from '../src/exporters/trajectory-source.ts';
import { storeParquetConverter } from '../src/exporters/writers/parquet-converter.ts';
import { startReceiver } from '../collector/receiver.ts';
import { selectSummaries } from '../src/exporters/run-export.ts';
import type { BenchResult } from './report.ts';

const traceCount = Number(process.env['BENCH_EXPORT_TRACES'] ?? 1_000);
/** Trajectories per read (run-export.ts's default unless set), to choose the default by measurement. */
const batchTrajectories = process.env['BENCH_EXPORT_BATCH'] ? Number(process.env['BENCH_EXPORT_BATCH']) : undefined;
/** Runs of each measurement; the median is reported. */
const repetitions = Number(process.env['BENCH_EXPORT_RUNS'] ?? 3);
const turns = 3;

const hex = (value: number, length: number) => value.toString(16).padStart(length, '0').slice(-length);
const traceIdOf = (trace: number) => `${hex(0xe4b, 8)}${hex(trace, 24)}`;
const spanIdOf = (trace: number, span: number) => `${hex(trace, 12)}${hex(span, 4)}`;

function agentRun(trace: number, baseNanos: bigint): Array<Record<string, unknown>> {
  const second = 1_000_000_000n;
  const traceId = traceIdOf(trace);
  const start = baseNanos + BigInt(trace) * 20n * second;
  const rows: Array<Record<string, unknown>> = [];
  const span = (index: number, fields: Record<string, unknown>, from: bigint, to: bigint) =>
    rows.push({
      tenant: 'default',
      trace_id: traceId,
      span_id: spanIdOf(trace, index),
      parent_span_id: index === 0 ? '' : spanIdOf(trace, 0),
      status: 'ok',
      start_time_unix_nano: from.toString(),
      end_time_unix_nano: to.toString(),
      service_name: 'bench-agent',
      ...fields,
    });
  const task = `Task ${trace % 500}: book the cheapest hotel in city ${trace % 37}`;
  span(
    0,
    {
      name: 'invoke_agent booker',
      kind: 'agent',
      operation: 'invoke_agent',
      agent_name: 'booker',
      task,
      task_id: `task-${trace % 500}`,
    },
    start,
    start + 15n * second,
  );
  const conversation: unknown[] = [
    { role: 'system', content: 'You book hotels. '.repeat(20) },
    { role: 'user', content: task },
  ];
  let index = 1;
  for (let turn = 0; turn < turns; turn++) {
    const at = start + BigInt(turn * 4 + 1) * second;
    const last = turn === turns - 1;
    const calls = last
      ? []
      : [0, 1].map((k) => ({
          id: `call_${turn}_${k}`,
          type: 'function',
          function: { name: k ? 'prices' : 'search', arguments: `{"q":"${turn}-${k}"}` },
        }));
    const output = last
      ? { role: 'assistant', content: `Booked hotel ${trace % 13}.` }
      : { role: 'assistant', content: null, tool_calls: calls };
    span(
      index++,
      {
        name: 'chat gpt-4o',
        kind: 'llm',
        operation: 'chat',
        provider: 'openai',
        model: 'gpt-4o',
        input_tokens: 400,
        output_tokens: 40,
        input_messages: JSON.stringify(conversation),
        output_messages: JSON.stringify([output]),
      },
      at,
      at + second,
    );
    conversation.push(output);
    for (const [k, toolCall] of calls.entries()) {
      const result = `result ${turn}-${k}: ${'hotel option; '.repeat(10)}`;
      span(
        index++,
        {
          name: 'execute_tool',
          kind: 'tool',
          operation: 'execute_tool',
          tool_name: toolCall.function.name,
          tool_call_id: toolCall.id,
          tool_arguments: toolCall.function.arguments,
          tool_result: result,
        },
        at + second,
        at + 2n * second,
      );
      conversation.push({ role: 'tool', content: result, tool_call_id: toolCall.id });
    }
  }
  span(
    index,
    { name: 'agentlightning.annotation', kind: 'reward', rewards: [{ name: 'primary', value: (trace % 10) / 10 }] },
    start + 14n * second,
    start + 14n * second,
  );
  return rows;
}

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

export async function benchExportThroughput(): Promise<BenchResult[]> {
  const directory = mkdtempSync(join(tmpdir(), 'trajectories-export-bench-'));
  // A receiver, not a bare store: it maintains what the trajectory reads need (indexes, summaries).
  const receiver = await startReceiver({
    httpPort: 0,
    grpcPort: -1,
    dataDir: join(directory, 'data'),
    quietSeconds: 0,
    walSync: 'none',
  });
  const store = receiver.store;
  try {
    const baseNanos = BigInt(Date.now() - 86_400_000 * 3) * 1_000_000n;
    for (let first = 0; first < traceCount; first += 1_000) {
      const values: Array<Record<string, unknown>> = [];
      for (let trace = first; trace < Math.min(traceCount, first + 1_000); trace++)
        values.push(...agentRun(trace, baseNanos));
      await store.client.insert({ table: 'spans', values, format: 'JSONEachRow' });
    }
    const source = storeTrajectorySource(store.client, 'default', { quietSeconds: 0 });
    const deadline = Date.now() + 300_000;
    while ((await selectSummaries(source, {})).length < traceCount) {
      if (Date.now() > deadline) throw new Error('trajectories did not become complete within 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const format = getExportFormat('openai-sft');
    const run = (encoding: 'jsonl' | 'parquet') =>
      exportTrajectories({
        source,
        format,
        options: defaultFormatOptions,
        filters: {},
        out: join(directory, `sft.${encoding}`),
        encoding,
        parquetConverter: storeParquetConverter(store.client),
        batchTrajectories,
      });

    // Baseline: the same span rows, read raw; each round measures the baseline and both exports back to back.
    const raw = async () => {
      const result = await store.client.query({
        query: "SELECT * FROM spans FINAL WHERE tenant = 'default'",
        format: 'JSONEachRow',
      });
      if ((await result.text()).length === 0) throw new Error('the raw read returned nothing');
    };
    const exported = (encoding: 'jsonl' | 'parquet') => async () => {
      const records = (await run(encoding)).records;
      if (records !== traceCount) throw new Error(`expected ${traceCount} ${encoding} records, got ${records}`);
    };
    const timings = { raw: [] as number[], jsonl: [] as number[], parquet: [] as number[] };
    for (let round = 0; round < repetitions; round++) {
      timings.raw.push(await seconds(raw));
      timings.jsonl.push(await seconds(exported('jsonl')));
      timings.parquet.push(await seconds(exported('parquet')));
    }
    const [rawSeconds, jsonlSeconds, parquetSeconds] = [timings.raw, timings.jsonl, timings.parquet].map(median) as [
      number,
      number,
      number,
    ];
    const rawRate = traceCount / rawSeconds;
    const result = (name: string, value: number): BenchResult => ({
      name,
      value,
      unit: 'trajectories/s',
      baseline: rawRate,
      ratio: value / rawRate,
    });
    return [
      result(
        `export openai-sft JSONL, ${traceCount} trajectories (vs raw SELECT FORMAT JSONEachRow of their spans; median of ${repetitions})`,
        traceCount / jsonlSeconds,
      ),
      result(
        `export openai-sft Parquet, ${traceCount} trajectories (vs raw SELECT FORMAT JSONEachRow of their spans; median of ${repetitions})`,
        traceCount / parquetSeconds,
      ),
    ];
  } finally {
    await receiver.close();
    rmSync(directory, { recursive: true, force: true });
  }
}
