/**
 * Golden traces that cover every trajectory rule, and the comparison of what the SQL views compute for a
 * trajectory with what the TypeScript assembly (the API's read path) returns. Shared by the views-agree test and
 * the upgrade test, which runs the same comparison on a store first created by the previous release's schema.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import {
  toCredit,
  toReward,
  toSummary,
  toTurn,
  type CreditRow,
  type RewardRow,
  type SummaryRow,
  type TurnRow,
} from '../../src/trajectories/trajectory-rows.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { queryRows } from '../helpers/test-receiver.ts';
import { agentSpan, call, chat, clock, inside, message, response, rewardSpan, text, tool } from './golden-traces.ts';

export interface GoldenContext {
  receiver: Receiver;
  settings: { quietSeconds: number; gamma: number; stitchWindowSeconds: number };
  /** Start of the golden traces, unix ms. */
  base: number;
  /** Every trace sent so far, in order. */
  traceIds: string[];
}

export async function send(context: GoldenContext, spans: ReadableSpan[]): Promise<void> {
  const { receiver, traceIds } = context;
  const exporter = createTraceExporter('http/protobuf', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
  for (const span of spans)
    if (!traceIds.includes(span.spanContext().traceId)) traceIds.push(span.spanContext().traceId);
}

const system = message('system', text('You are a solver.'));

export function goldenRun(base: number, offsetSeconds: number, reward: number) {
  return recordSpans((tracer) => {
    const time = clock(base + offsetSeconds * 1000);
    const agent = agentSpan(tracer, time, 0, {
      'gen_ai.agent.name': 'solver',
      'trajectory.task.description': 'solve task 9',
    });
    const context = inside(agent);
    const user = message('user', text('Solve task 9'));
    const first = message('assistant', call('call_a', 'lookup', { q: 1 }), call('call_b', 'calc', { x: 2 }));
    chat(tracer, time, context, 1, 2, [system, user], [first]);
    tool(tracer, time, context, 2, 3, 'lookup', 'call_a', { q: 1 }, 'A');
    tool(tracer, time, context, 2, 4, 'calc', 'call_b', { x: 2 }, 'boom', { error: true });
    const afterTools = [system, user, first, message('tool', response('call_a', 'A'), response('call_b', 'boom'))];
    const second = message('assistant', call('call_c', 'search', { q: 'x' }));
    chat(tracer, time, context, 5, 6, afterTools, [second]);
    chat(tracer, time, context, 7, 8, [...afterTools, second], undefined, { error: true });
    chat(
      tracer,
      time,
      context,
      9,
      10,
      [...afterTools, second, message('user', text('again'))],
      [message('assistant', call(undefined, 'finish', {}))],
    );
    tool(tracer, time, context, 11, 12, 'finish', undefined, {}, 'done');
    // A leftover tool span in the last window that no call asked for.
    tool(tracer, time, context, 12, 13, 'cleanup', undefined, {}, 'ok');
    rewardSpan(tracer, time, context, 19, reward);
    agent.end(time.at(20));
  });
}

/** A wrapping HTTP span, an outer agent with a nested child agent, a reward beside the agent (outside it). */
export function nestedRun(base: number) {
  return recordSpans((tracer) => {
    const time = clock(base + 600_000);
    const http = tracer.startSpan('POST /run', { startTime: time.at(0) });
    const outer = agentSpan(
      tracer,
      time,
      1,
      { 'gen_ai.agent.name': 'planner', 'trajectory.task.id': 'nested-task' },
      inside(http),
    );
    chat(
      tracer,
      time,
      inside(outer),
      2,
      3,
      [message('user', text('plan it'))],
      [message('assistant', text('delegating'))],
    );
    const child = agentSpan(tracer, time, 4, { 'gen_ai.agent.name': 'coder' }, inside(outer));
    const childChat: Span = tracer.startSpan(
      'chat gpt-4o',
      {
        startTime: time.at(5),
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.input.messages': JSON.stringify([message('user', text('write code'))]),
          'gen_ai.output.messages': JSON.stringify([message('assistant', call('call_x', 'run', { code: 1 }))]),
        },
      },
      inside(child),
    );
    childChat.addEvent(
      'gen_ai.evaluation.result',
      {
        'gen_ai.evaluation.name': 'lint',
        'gen_ai.evaluation.score.value': 0.25,
        'gen_ai.evaluation.explanation': 'style',
      },
      time.at(6),
    );
    childChat.end(time.at(6));
    tool(tracer, time, inside(child), 6, 7, 'run', 'call_x', { code: 1 }, 'exit 1', { error: true });
    child.setStatus({ code: SpanStatusCode.ERROR });
    child.end(time.at(8));
    outer.end(time.at(9));
    rewardSpan(tracer, time, inside(http), 10, -1);
    http.end(time.at(11));
  });
}

/**
 * An agent that runs its tools itself (no tool spans): results reach the next call as tool messages, by id,
 * without an id, one marked as an error, and one call nobody answered.
 */
export function messageOnlyRun(base: number) {
  return recordSpans((tracer) => {
    const time = clock(base + 1_200_000);
    const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': 'self-serve' });
    const context = inside(agent);
    const user = message('user', text('Find it'));
    const first = message(
      'assistant',
      call('call_m1', 'lookup', { q: 1 }),
      call(undefined, 'note', {}),
      call('call_m3', 'fetch', {}),
      call('call_m4', 'never', {}),
    );
    chat(tracer, time, context, 1, 2, [user], [first]);
    const results = message(
      'tool',
      response('call_m1', 'M1'),
      { type: 'tool_call_response', response: 'noted' },
      { type: 'tool_call_response', id: 'call_m3', response: 'boom', is_error: true },
    );
    chat(tracer, time, context, 5, 6, [user, first, results], [message('assistant', text('found'))]);
    agent.end(time.at(7));
  });
}

/** No agent span: one whole-trace trajectory. */
export function plainRun(base: number) {
  return recordSpans((tracer) => {
    const time = clock(base + 900_000);
    const root = tracer.startSpan('handler', { startTime: time.at(0) });
    chat(
      tracer,
      time,
      inside(root),
      1,
      2,
      [message('user', text('hello'))],
      [message('assistant', call(undefined, 'greet', {}))],
    );
    tool(tracer, time, inside(root), 2, 3, 'greet', undefined, {}, 'hi');
    chat(
      tracer,
      time,
      inside(root),
      4,
      5,
      [message('user', text('hello')), message('user', text('more'))],
      [message('assistant', text('done'))],
    );
    root.end(time.at(6));
  });
}

export function expectAgree(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(actual, path).toBeCloseTo(expected, 9);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((item, index) => expectAgree((actual as unknown[])[index], item, `${path}[${index}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    for (const [key, value] of Object.entries(expected))
      expectAgree((actual as Record<string, unknown>)?.[key], value, `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

/**
 * Several trajectories from the views, in one query per view for each quiet period (a whole-trace trajectory waits
 * for the stitch window as well: docs/trajectories.md), since planning a parametrized view query takes about a
 * second on the embedded store and a query per trajectory made these tests the slowest of the suite.
 */
export async function fromViewsMany(context: GoldenContext, ids: string[]): Promise<Map<string, Trajectory>> {
  const { settings } = context;
  const quietOf = (id: string) =>
    /^[0-9a-f]{32}$/.test(id) ? Math.max(settings.quietSeconds, settings.stitchWindowSeconds) : settings.quietSeconds;
  const byQuiet = new Map<number, string[]>();
  for (const id of ids) byQuiet.set(quietOf(id), [...(byQuiet.get(quietOf(id)) ?? []), id]);
  const found = new Map<string, Trajectory>();
  for (const [quiet, group] of byQuiet)
    for (const [id, trajectory] of await viewsOf(context, group, quiet)) found.set(id, trajectory);
  return found;
}

async function viewsOf(context: GoldenContext, ids: string[], quietSeconds: number): Promise<Map<string, Trajectory>> {
  const { receiver, settings, traceIds } = context;
  const params = {
    tenant: 'default',
    trace_ids: traceIds,
    group_trace_ids: traceIds,
    ids,
    quiet_seconds: quietSeconds,
    gamma: settings.gamma,
  };
  const summaries = (
    await queryRows<SummaryRow>(
      receiver,
      `SELECT * EXCEPT (start_ns, last_ingested_at) FROM trajectories(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, quiet_seconds = {quiet_seconds:Float64})
     WHERE id IN {ids:Array(String)}`,
      params,
    )
  ).map(toSummary);
  const turns = await queryRows<TurnRow & { trajectory_id: string }>(
    receiver,
    `SELECT trajectory_id, index, span_id, model, provider, status, input_messages, new_messages, output_message, finish_reason, tool_calls,
            input_tokens, output_tokens, latency_ms, toString(start_time_unix_nano) AS start_time_unix_nano, air_reward, tool_definitions
     FROM turns(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}) WHERE trajectory_id IN {ids:Array(String)}
     ORDER BY trajectory_id, index`,
    params,
  );
  const rewards = await queryRows<RewardRow & { trajectory_id: string }>(
    receiver,
    `SELECT trajectory_id, name, value, source, comment, span_id, toString(time_unix_nano) AS time_unix_nano
     FROM rewards(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}) WHERE trajectory_id IN {ids:Array(String)}
     ORDER BY trajectory_id, time_unix_nano, source, name`,
    params,
  );
  const credit = await queryRows<CreditRow & { trajectory_id: string }>(
    receiver,
    `SELECT trajectory_id, turn_index, span_id, identical, discounted, air_shaped, advantage, group_size, group_mean, group_std
     FROM credit(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, group_trace_ids = {group_trace_ids:Array(String)},
                 gamma = {gamma:Float64}, quiet_seconds = {quiet_seconds:Float64})
     WHERE trajectory_id IN {ids:Array(String)} ORDER BY trajectory_id, turn_index`,
    params,
  );
  const of = <Row extends { trajectory_id: string }>(rows: Row[], id: string) =>
    rows.filter((row) => row.trajectory_id === id).map(({ trajectory_id: _id, ...row }) => row);
  return new Map(
    summaries.map((summary) => [
      summary.id,
      {
        ...summary,
        tools: [],
        turns: of(turns, summary.id).map(toTurn),
        rewards: of(rewards, summary.id).map(toReward),
        credit: of(credit, summary.id).map(toCredit),
      },
    ]),
  );
}

/**
 * Sends the golden traces (3 golden runs of one task, a nested run, a tool-message-only run, a whole-trace run), an
 * evaluation log record
 * for a span the plain trace lacks, and feedback on the first golden run; waits until all of it is stored,
 * summarized and complete. Returns the trajectory ids the views find.
 */
export async function loadGoldenTraces(context: GoldenContext): Promise<string[]> {
  const { receiver, base, settings, traceIds } = context;
  const firstGolden = await goldenRun(base, 0, 0.8);
  const goldenAgent = firstGolden.find((span) => span.name.startsWith('invoke_agent'))!.spanContext();
  await send(context, [
    ...firstGolden,
    ...(await goldenRun(base, 60, 0.2)),
    ...(await goldenRun(base, 120, 0.5)),
    ...(await nestedRun(base)),
    ...(await messageOnlyRun(base)),
    ...(await plainRun(base)),
  ]);
  const plainTrace = traceIds[traceIds.length - 1]!;
  await receiver.store.client.insert({
    table: 'events',
    values: [
      {
        tenant: 'default',
        trace_id: plainTrace,
        span_id: 'ffffffffffffffff',
        time_unix_nano: String(BigInt(base) * 1_000_000n),
        event_name: 'gen_ai.evaluation.result',
        evaluation_name: 'judge',
        evaluation_score: 0.7,
        evaluation_explanation: 'fine',
      },
    ],
    format: 'JSONEachRow',
  });
  const rows = await queryRows<{ id: string }>(
    receiver,
    'SELECT id FROM trajectories(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, quiet_seconds = 1) ORDER BY id',
    { tenant: 'default', trace_ids: traceIds },
  );
  // Feedback on the first golden run re-ranks its group.
  const post = await fetch(`${receiver.httpUrl}/v1/trajectories/${goldenAgent.traceId}-${goldenAgent.spanId}/rewards`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ value: 0.1, name: 'human', time_unix_nano: String(BigInt(Date.now()) * 1_000_000n) }),
  });
  expect(post.status).toBe(201);
  await receiver.flush();
  await new Promise((resolve) => setTimeout(resolve, settings.quietSeconds * 1000 + 300));
  return rows.map((row) => row.id);
}
