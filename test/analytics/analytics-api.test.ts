/**
 * The analytics API on known data: three agent runs sent as real OTLP through the receiver, with durations,
 * tokens, errors and rewards chosen so every number below is computed by hand (in the comments).
 *
 *   A  solver,  task-a, 10:00Z, reward 1  chat gpt-4o 1 s (in 100, cache read 40, out 20); search 0.5 s ok;
 *                                          chat gpt-4o 2 s (in 200, out 30)
 *   B  solver,  task-b, 10:20Z, reward 0  chat gpt-4o-mini-2024-07-18 0.5 s (in 50, out 10);
 *                                          search 2 s error (error.type timeout); chat gpt-4o 0.2 s error (in 10, out 5)
 *   C  planner, task-a, 11:30Z, no reward chat mystery-model 3 s (in 10, out 5); calc 0.1 s ok
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, type Context, type Tracer } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { loadModelPrices, priceEntryFor, storeModelPrices } from '../../src/analytics/model-prices.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';
import { runCli } from '../cli/run-cli.ts';
import {
  agentSpan,
  clock,
  inside,
  message,
  rewardSpan,
  text,
  tool,
  type Clock,
} from '../trajectories/golden-traces.ts';

let receiver: Receiver;
const hour10 = Date.parse('2026-11-30T10:00:00Z');

function modelCall(
  tracer: Tracer,
  time: Clock,
  parent: Context,
  [start, end]: [number, number],
  model: string,
  usage: { input: number; output: number; cacheRead?: number },
  error = false,
): void {
  const span = tracer.startSpan(
    `chat ${model}`,
    {
      kind: SpanKind.CLIENT,
      startTime: time.at(start),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': usage.input,
        'gen_ai.usage.output_tokens': usage.output,
        ...(usage.cacheRead !== undefined ? { 'gen_ai.usage.cache_read.input_tokens': usage.cacheRead } : {}),
        'gen_ai.input.messages': JSON.stringify([message('user', text(`question at ${start}`))]),
        'gen_ai.output.messages': JSON.stringify([message('assistant', text('answer'))]),
      },
    },
    parent,
  );
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'server error' });
  span.end(time.at(end));
}

async function send(run: (tracer: Tracer) => void): Promise<void> {
  const spans = await recordSpans(run);
  const exporter = createTraceExporter('http/protobuf', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${receiver.httpUrl}${path}`);
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  receiver = await startTestReceiver();
  await send((tracer) => {
    const time = clock(hour10);
    const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': 'solver', 'trajectory.task.id': 'task-a' });
    const context = inside(agent);
    modelCall(tracer, time, context, [1, 2], 'gpt-4o', { input: 100, output: 20, cacheRead: 40 });
    tool(tracer, time, context, 2, 2.5, 'search', 'call-1', { q: 'x' }, 'found');
    modelCall(tracer, time, context, [3, 5], 'gpt-4o', { input: 200, output: 30 });
    rewardSpan(tracer, time, context, 5, 1);
    agent.end(time.at(6));
  });
  await send((tracer) => {
    const time = clock(hour10 + 20 * 60_000);
    const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': 'solver', 'trajectory.task.id': 'task-b' });
    const context = inside(agent);
    modelCall(tracer, time, context, [1, 1.5], 'gpt-4o-mini-2024-07-18', { input: 50, output: 10 });
    const failed = tracer.startSpan(
      'execute_tool search',
      {
        startTime: time.at(2),
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'error.type': 'timeout' },
      },
      context,
    );
    failed.setStatus({ code: SpanStatusCode.ERROR, message: 'timed out' });
    failed.end(time.at(4));
    modelCall(tracer, time, context, [5, 5.2], 'gpt-4o', { input: 10, output: 5 }, true);
    rewardSpan(tracer, time, context, 6, 0);
    agent.end(time.at(6));
  });
  await send((tracer) => {
    const time = clock(hour10 + 90 * 60_000);
    const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': 'planner', 'trajectory.task.id': 'task-a' });
    const context = inside(agent);
    modelCall(tracer, time, context, [1, 4], 'mystery-model', { input: 10, output: 5 });
    tool(tracer, time, context, 4, 4.1, 'calc', 'call-2', { e: '1+1' }, '2');
    agent.end(time.at(5));
  });
  await receiver.flush();
}, 60_000);

afterAll(async () => {
  await receiver?.close();
});

// Priced calls: A1 gpt-4o (100-40)*2.5 + 40*1.25 + 20*10 = 400; A2 200*2.5 + 30*10 = 800;
// B1 gpt-4o-mini 50*0.15 + 10*0.6 = 13.5; B2 gpt-4o 10*2.5 + 5*10 = 75 (per million tokens, USD).
const pricedAll = (400 + 800 + 13.5 + 75) / 1e6;

describe('GET /v1/analytics/summary', () => {
  it('measures all trajectories against hand-computed values', async () => {
    const { status, body } = await get('/v1/analytics/summary');
    expect(status).toBe(200);
    const summary = body.summary;
    expect(summary.trajectories).toBe(3);
    expect(summary.outcomes).toEqual({ success: 1, failure: 1, unknown: 1 });
    expect(summary.success_rate).toBe(0.5);
    expect(summary.reward).toEqual({ count: 2, mean: 0.5, median: 0.5 });
    // Model-call latencies 200, 500, 1000, 2000, 3000 ms: p95 = 2000 + 0.8 * 1000, p99 = 2000 + 0.96 * 1000.
    expect(summary.model_calls).toEqual({
      count: 5,
      errors: 1,
      error_rate: 0.2,
      error_types: { _OTHER: 1 },
      latency_ms: { p50: 1000, p95: 2800, p99: 2960 },
    });
    // Tool latencies 100, 500, 2000 ms: p95 = 500 + 0.9 * 1500, p99 = 500 + 0.98 * 1500.
    expect(summary.tool_executions.count).toBe(3);
    expect(summary.tool_executions.errors).toBe(1);
    expect(summary.tool_executions.error_rate).toBeCloseTo(1 / 3, 12);
    expect(summary.tool_executions.error_types).toEqual({ timeout: 1 });
    expect(summary.tool_executions.latency_ms.p50).toBeCloseTo(500, 9);
    expect(summary.tool_executions.latency_ms.p95).toBeCloseTo(1850, 9);
    expect(summary.tool_executions.latency_ms.p99).toBeCloseTo(1970, 9);
    expect(summary.tokens).toEqual({ input: 370, output: 70, cache_read: 40, cache_creation: 0, reasoning: 0 });
    // mystery-model has no price: the total is unknown, the known part beside it.
    expect(summary.cost_usd).toBeNull();
    expect(summary.unpriced_calls).toBe(1);
    expect(summary.priced_cost_usd).toBeCloseTo(pricedAll, 12);
  });

  it('groups by agent, model and task', async () => {
    const byAgent = (await get('/v1/analytics/summary?by=agent')).body.groups;
    expect(byAgent.map((group: any) => [group.key, group.trajectories, group.success_rate])).toEqual([
      ['solver', 2, 0.5],
      ['planner', 1, null],
    ]);
    expect(byAgent[0].cost_usd).toBeCloseTo(pricedAll, 12);
    expect(byAgent[1].cost_usd).toBeNull();

    const byModel = (await get('/v1/analytics/summary?by=model')).body.groups;
    const models = Object.fromEntries(byModel.map((group: any) => [group.key, group]));
    expect(Object.keys(models).sort()).toEqual(['gpt-4o', 'gpt-4o-mini-2024-07-18', 'mystery-model']);
    // gpt-4o: trajectories A and B; its calls A1, A2, B2 only.
    expect(models['gpt-4o'].trajectories).toBe(2);
    expect(models['gpt-4o'].model_calls.count).toBe(3);
    expect(models['gpt-4o'].tokens.input).toBe(310);
    expect(models['gpt-4o'].cost_usd).toBeCloseTo((400 + 800 + 75) / 1e6, 12);
    expect(models['gpt-4o-mini-2024-07-18'].cost_usd).toBeCloseTo(13.5 / 1e6, 12);
    expect(models['mystery-model'].cost_usd).toBeNull();

    const byTask = (await get('/v1/analytics/summary?by=task')).body.groups;
    expect(byTask.map((group: any) => [group.key, group.trajectories])).toEqual([
      ['task-a', 2],
      ['task-b', 1],
    ]);
  });

  it('filters by agent, task, model and time', async () => {
    const planner = (await get('/v1/analytics/summary?agent=planner')).body.summary;
    expect(planner.trajectories).toBe(1);
    expect(planner.tool_executions.count).toBe(1);

    const taskA = (await get('/v1/analytics/summary?task=task-a')).body.summary;
    expect(taskA.trajectories).toBe(2);
    expect(taskA.model_calls.count).toBe(3);

    // A model filter keeps the trajectories that called it and counts only its calls.
    const gpt4o = (await get('/v1/analytics/summary?model=gpt-4o')).body.summary;
    expect(gpt4o.trajectories).toBe(2);
    expect(gpt4o.model_calls.count).toBe(3);
    expect(gpt4o.tool_executions.count).toBe(2);

    const late = (await get('/v1/analytics/summary?since=2026-11-30T11:00:00Z')).body.summary;
    expect(late.trajectories).toBe(1);
    const early = (await get('/v1/analytics/summary?until=2026-11-30T10:10:00Z')).body.summary;
    expect(early.trajectories).toBe(1);
    expect(early.outcomes.success).toBe(1);

    const none = (await get('/v1/analytics/summary?agent=nobody')).body.summary;
    expect(none.trajectories).toBe(0);
    expect(none.success_rate).toBeNull();
    expect(none.cost_usd).toBe(0);
  });

  it('answers 400 naming the bad parameter', async () => {
    for (const [query, field] of [
      ['by=color', 'by'],
      ['since=yesterday', 'since'],
      ['colour=red', 'colour'],
    ] as const) {
      const { status, body } = await get(`/v1/analytics/summary?${query}`);
      expect(status, query).toBe(400);
      expect(JSON.stringify(body), query).toContain(field);
    }
  });
});

describe('GET /v1/analytics/timeseries and /tools', () => {
  it('buckets trajectories by the hour and the day of their start', async () => {
    const hourly = (await get('/v1/analytics/timeseries?bucket=hour')).body;
    expect(hourly.bucket).toBe('hour');
    expect(hourly.buckets.map((bucket: any) => [bucket.start, bucket.trajectories])).toEqual([
      ['2026-11-30T10:00:00Z', 2],
      ['2026-11-30T11:00:00Z', 1],
    ]);
    const daily = (await get('/v1/analytics/timeseries?bucket=day')).body;
    expect(daily.buckets.map((bucket: any) => [bucket.start, bucket.trajectories, bucket.model_calls.count])).toEqual([
      ['2026-11-30T00:00:00Z', 3, 5],
    ]);
  });

  it('measures each tool', async () => {
    const { tools } = (await get('/v1/analytics/tools')).body;
    expect(tools).toEqual([
      {
        tool: 'search',
        trajectories: 2,
        executions: 2,
        errors: 1,
        error_rate: 0.5,
        error_types: { timeout: 1 },
        // 500 and 2000 ms: p95 = 500 + 0.95 * 1500.
        latency_ms: { p50: 1250, p95: 1925, p99: 1985 },
        success_rate: 0.5,
      },
      {
        tool: 'calc',
        trajectories: 1,
        executions: 1,
        errors: 0,
        error_rate: 0,
        error_types: {},
        latency_ms: { p50: 100, p95: 100, p99: 100 },
        success_rate: null,
      },
    ]);
  });
});

describe('GET /v1/analytics/rewards', () => {
  it('bins the final rewards between the lowest and the highest, empty bins included', async () => {
    // Rewards: solver task-a 1, solver task-b 0; the planner's trajectory has none.
    expect((await get('/v1/analytics/rewards?bins=2')).body.bins).toEqual([
      { lower: 0, upper: 0.5, trajectories: 1 },
      { lower: 0.5, upper: 1, trajectories: 1 },
    ]);
    expect((await get('/v1/analytics/rewards?bins=4')).body.bins.map((bin: any) => bin.trajectories)).toEqual([
      1, 0, 0, 1,
    ]);
    // One reward value: one bin of zero width; no rewarded trajectory: no bins.
    expect((await get('/v1/analytics/rewards?task=task-b')).body.bins).toEqual([
      { lower: 0, upper: 0, trajectories: 1 },
    ]);
    expect((await get('/v1/analytics/rewards?model=mystery-model')).body.bins).toEqual([]);
    expect((await get('/v1/analytics/rewards?agent=solver&bins=1')).body.bins).toEqual([
      { lower: 0, upper: 1, trajectories: 2 },
    ]);
  });

  it('answers 400 naming a bad bin count', async () => {
    const { status, body } = await get('/v1/analytics/rewards?bins=0');
    expect(status).toBe(400);
    expect(body.error).toContain('bins');
  });
});

describe('model prices', () => {
  it('match the exact model, else the model a snapshot suffix extends', () => {
    const prices = loadModelPrices();
    expect(priceEntryFor(prices, 'gpt-4o-mini-2024-07-18')?.model).toBe('gpt-4o-mini');
    expect(priceEntryFor(prices, 'gpt-4o-2024-08-06')?.model).toBe('gpt-4o');
    expect(priceEntryFor(prices, 'gpt-4o-2024-05-13')?.model).toBe('gpt-4o-2024-05-13');
    expect(priceEntryFor(prices, 'claude-opus-4-5-20251101')?.model).toBe('claude-opus-4-5');
    expect(priceEntryFor(prices, 'claude-opus-4-20250514')?.model).toBe('claude-opus-4');
    expect(priceEntryFor(prices, 'GPT-4O')?.model).toBe('gpt-4o');
    expect(priceEntryFor(prices, 'claude-3-5-sonnet-latest')?.model).toBe('claude-3-5-sonnet');
    expect(priceEntryFor(prices, 'gpt-4oo')).toBeUndefined();
    // A variant is not a snapshot: without its own entry it is unpriced, not priced as its family.
    const withoutMini = new Map(prices);
    withoutMini.delete('gpt-4o-mini');
    expect(priceEntryFor(withoutMini, 'gpt-4o-mini-2024-07-18')).toBeUndefined();
    expect(priceEntryFor(prices, 'gpt-4o-audio-preview')).toBeUndefined();
  });

  it('refuse a bad price file naming the field', () => {
    const file = join(temporaryDirectory('prices-'), 'prices.yaml');
    writeFileSync(file, 'models:\n  my-model: { inptu: 1 }\n');
    expect(() => loadModelPrices(file)).toThrow(/my-model.*inptu|inptu/);
    writeFileSync(file, 'models:\n  my-model: { input: -1 }\n');
    expect(() => loadModelPrices(file)).toThrow(/models\.my-model\.input/);
  });

  it('an override prices a model the shipped table lacks and removes one it has', async () => {
    const file = join(temporaryDirectory('prices-'), 'prices.yaml');
    writeFileSync(file, 'models:\n  mystery-model: { input: 1, output: 2 }\n  gpt-4o-mini: null\n');
    const prices = loadModelPrices(file);
    await storeModelPrices(receiver.store.client, prices, file);
    try {
      const summary = (await get('/v1/analytics/summary')).body.summary;
      // mystery-model 10*1 + 5*2 = 20; gpt-4o-mini-2024-07-18 is now unpriced (not priced as gpt-4o).
      expect(summary.unpriced_calls).toBe(1);
      expect(summary.priced_cost_usd).toBeCloseTo((400 + 800 + 75 + 20) / 1e6, 12);
      const byModel = (await get('/v1/analytics/summary?by=model')).body.groups;
      const mystery = byModel.find((group: any) => group.key === 'mystery-model');
      expect(mystery.cost_usd).toBeCloseTo(20 / 1e6, 12);
    } finally {
      await storeModelPrices(receiver.store.client, loadModelPrices(), 'shipped');
    }
  });
});

describe('trajectories stats', () => {
  it('prints a table per agent through the receiver', async () => {
    const result = await runCli(['stats', '--by', 'agent', '--receiver', receiver.httpUrl]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, rule, solver, planner] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^agent\s+trajectories\s+success/);
    expect(rule).toMatch(/^-+ +-+/);
    expect(solver).toMatch(/^solver\s+2\s+50\.0%\s+0\.500\s/);
    expect(solver).toContain('$0.0013');
    // The planner's model has no price: the cost says so instead of showing zero.
    expect(planner).toMatch(/^planner\s+1\s+-\s+-\s/);
    expect(planner).toContain('>= $0.0000 (1 unpriced)');
  });

  it('prints the JSON of the API with --json, and refuses a bad filter naming it', async () => {
    const result = await runCli(['stats', '--json', '--model', 'gpt-4o', '--receiver', receiver.httpUrl]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.trajectories).toBe(2);
    expect(summary.model_calls.count).toBe(3);

    const bad = await runCli(['stats', '--since', 'yesterday', '--receiver', receiver.httpUrl]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--since');
  });
});

describe('docs/analytics.md', () => {
  it('has queries that run against the views and agree with the API', async () => {
    const docs = readFileSync(join(import.meta.dirname, '../../docs/analytics.md'), 'utf8');
    const block = /```sql\n([\s\S]*?)```/.exec(docs.slice(docs.indexOf('## Queries to paste')))![1]!;
    const statements = block
      .split(/;\s*\n/)
      .map((statement) => statement.replace(/^--.*$/gm, '').trim())
      .filter(Boolean)
      // The fixture's runs are days old: widen the recent windows to cover them.
      .map((statement) =>
        statement.replaceAll(/INTERVAL \d+ DAY/g, 'INTERVAL 3650 DAY').replace('<task id>', 'task-a'),
      );
    expect(statements).toHaveLength(4);
    const results = [];
    for (const query of statements) {
      const result = await receiver.store.client.query({ query, format: 'JSONEachRow' });
      results.push(await result.json<Record<string, unknown>>());
    }
    const [perAgentDay, perModelHour, perTool, expensive] = results;
    expect(perAgentDay!.map((row) => [row.agent_name, Number(row.trajectories)])).toEqual([
      ['planner', 1],
      ['solver', 2],
    ]);
    expect(perModelHour!.reduce((sum, row) => sum + Number(row.calls), 0)).toBe(5);
    expect(perTool!.map((row) => [row.tool_name, Number(row.executions), row.error_rate])).toEqual([
      ['search', 2, 0.5],
      ['calc', 1, 0],
    ]);
    expect(expensive!.map((row) => row.agent_name)).toEqual(['solver', 'planner']);
  });
});
