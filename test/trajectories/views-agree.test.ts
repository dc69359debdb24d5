/**
 * The API assembles trajectories in TypeScript; users query the SQL views. For golden traces covering every rule
 * (id pairing, positional pairing, unanswered calls, failed calls, nested agents, spans outside agents, reward
 * inheritance, evaluation span events and log records, feedback, whole-trace trajectories, GRPO groups) both
 * must return the same trajectories, turns, rewards and credit.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import { getTrajectory } from '../../src/trajectories/read-trajectories.ts';
import {
  toCredit, toReward, toSummary, toTurn, type CreditRow, type RewardRow, type SummaryRow, type TurnRow,
} from '../../src/trajectories/trajectory-rows.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';
import { agentSpan, call, chat, clock, inside, message, response, rewardSpan, text, tool } from './golden-traces.ts';

let receiver: Receiver;
const settings = { quietSeconds: 1, gamma: 0.9 };
const base = Date.now() - 1_800_000;
const traceIds: string[] = [];

beforeAll(async () => {
  receiver = await startTestReceiver(settings);
});
afterAll(async () => {
  await receiver?.close();
});

async function send(spans: ReadableSpan[]): Promise<void> {
  const exporter = createTraceExporter('http/protobuf', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
  for (const span of spans) if (!traceIds.includes(span.spanContext().traceId)) traceIds.push(span.spanContext().traceId);
}

const system = message('system', text('You are a solver.'));

function goldenRun(offsetSeconds: number, reward: number) {
  return recordSpans((tracer) => {
    const time = clock(base + offsetSeconds * 1000);
    const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': 'solver', 'trajectory.task.description': 'solve task 9' });
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
    chat(tracer, time, context, 9, 10, [...afterTools, second, message('user', text('again'))], [message('assistant', call(undefined, 'finish', {}))]);
    tool(tracer, time, context, 11, 12, 'finish', undefined, {}, 'done');
    // A leftover tool span in the last window that no call asked for.
    tool(tracer, time, context, 12, 13, 'cleanup', undefined, {}, 'ok');
    rewardSpan(tracer, time, context, 19, reward);
    agent.end(time.at(20));
  });
}

/** A wrapping HTTP span, an outer agent with a nested child agent, a reward beside the agent (outside it). */
function nestedRun() {
  return recordSpans((tracer) => {
    const time = clock(base + 600_000);
    const http = tracer.startSpan('POST /run', { startTime: time.at(0) });
    const outer = agentSpan(tracer, time, 1, { 'gen_ai.agent.name': 'planner', 'trajectory.task.id': 'nested-task' }, inside(http));
    chat(tracer, time, inside(outer), 2, 3, [message('user', text('plan it'))], [message('assistant', text('delegating'))]);
    const child = agentSpan(tracer, time, 4, { 'gen_ai.agent.name': 'coder' }, inside(outer));
    const childChat: Span = tracer.startSpan('chat gpt-4o', {
      startTime: time.at(5),
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o',
        'gen_ai.input.messages': JSON.stringify([message('user', text('write code'))]),
        'gen_ai.output.messages': JSON.stringify([message('assistant', call('call_x', 'run', { code: 1 }))]),
      },
    }, inside(child));
    childChat.addEvent('gen_ai.evaluation.result', { 'gen_ai.evaluation.name': 'lint', 'gen_ai.evaluation.score.value': 0.25, 'gen_ai.evaluation.explanation': 'style' }, time.at(6));
    childChat.end(time.at(6));
    tool(tracer, time, inside(child), 6, 7, 'run', 'call_x', { code: 1 }, 'exit 1', { error: true });
    child.setStatus({ code: SpanStatusCode.ERROR });
    child.end(time.at(8));
    outer.end(time.at(9));
    rewardSpan(tracer, time, inside(http), 10, -1);
    http.end(time.at(11));
  });
}

/** No agent span: one whole-trace trajectory. */
function plainRun() {
  return recordSpans((tracer) => {
    const time = clock(base + 900_000);
    const root = tracer.startSpan('handler', { startTime: time.at(0) });
    chat(tracer, time, inside(root), 1, 2, [message('user', text('hello'))], [message('assistant', call(undefined, 'greet', {}))]);
    tool(tracer, time, inside(root), 2, 3, 'greet', undefined, {}, 'hi');
    chat(tracer, time, inside(root), 4, 5, [message('user', text('hello')), message('user', text('more'))], [message('assistant', text('done'))]);
    root.end(time.at(6));
  });
}

function expectAgree(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(actual, path).toBeCloseTo(expected, 9);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((item, index) => expectAgree((actual as unknown[])[index], item, `${path}[${index}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    for (const [key, value] of Object.entries(expected)) expectAgree((actual as Record<string, unknown>)?.[key], value, `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

async function fromViews(id: string): Promise<Trajectory> {
  const params = { tenant: 'default', trace_ids: traceIds, group_trace_ids: traceIds, id, ...{ quiet_seconds: settings.quietSeconds, gamma: settings.gamma } };
  const [summary] = (await queryRows<SummaryRow>(receiver,
    `SELECT * EXCEPT (start_ns, last_ingested_at) FROM trajectories(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, quiet_seconds = {quiet_seconds:Float64})
     WHERE id = {id:String}`, params)).map(toSummary);
  const turns = await queryRows<TurnRow>(receiver,
    `SELECT index, span_id, model, provider, status, input_messages, new_messages, output_message, finish_reason, tool_calls,
            input_tokens, output_tokens, latency_ms, toString(start_time_unix_nano) AS start_time_unix_nano, air_reward, tool_definitions
     FROM turns(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}) WHERE trajectory_id = {id:String} ORDER BY index`, params);
  const rewards = await queryRows<RewardRow>(receiver,
    `SELECT name, value, source, comment, span_id, toString(time_unix_nano) AS time_unix_nano
     FROM rewards(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}) WHERE trajectory_id = {id:String}
     ORDER BY time_unix_nano, source, name`, params);
  const credit = await queryRows<CreditRow>(receiver,
    `SELECT turn_index, span_id, identical, discounted, air_shaped, advantage, group_size, group_mean, group_std
     FROM credit(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, group_trace_ids = {group_trace_ids:Array(String)},
                 gamma = {gamma:Float64}, quiet_seconds = {quiet_seconds:Float64})
     WHERE trajectory_id = {id:String} ORDER BY turn_index`, params);
  expect(summary, id).toBeDefined();
  return { ...summary!, tools: [], turns: turns.map(toTurn), rewards: rewards.map(toReward), credit: credit.map(toCredit) };
}

describe('the SQL views and the TypeScript assembly agree', () => {
  let ids: string[] = [];

  beforeAll(async () => {
    const firstGolden = await goldenRun(0, 0.8);
    const goldenAgent = firstGolden.find((span) => span.name.startsWith('invoke_agent'))!.spanContext();
    await send([...firstGolden, ...(await goldenRun(60, 0.2)), ...(await goldenRun(120, 0.5)), ...(await nestedRun()), ...(await plainRun())]);
    // An evaluation log record for a span the plain trace does not have: it joins the trace's default trajectory.
    const plainTrace = traceIds[traceIds.length - 1]!;
    await receiver.store.client.insert({
      table: 'events',
      values: [{ tenant: 'default', trace_id: plainTrace, span_id: 'ffffffffffffffff', time_unix_nano: String(BigInt(base) * 1_000_000n),
                 event_name: 'gen_ai.evaluation.result', evaluation_name: 'judge', evaluation_score: 0.7, evaluation_explanation: 'fine' }],
      format: 'JSONEachRow',
    });
    const rows = await queryRows<{ id: string }>(receiver,
      'SELECT id FROM trajectories(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)}, quiet_seconds = 1) ORDER BY id',
      { tenant: 'default', trace_ids: traceIds });
    ids = rows.map((row) => row.id);
    // Feedback on the first golden run re-ranks its group.
    const post = await fetch(`${receiver.httpUrl}/v1/trajectories/${goldenAgent.traceId}-${goldenAgent.spanId}/rewards`, {
      method: 'POST', body: JSON.stringify({ value: 0.1, name: 'human', time_unix_nano: String(BigInt(Date.now()) * 1_000_000n) }),
    });
    expect(post.status).toBe(201);
    await receiver.flush();
    await new Promise((resolve) => setTimeout(resolve, settings.quietSeconds * 1000 + 300));
  });

  it('finds the same trajectories (5 traces: 3 golden, nested outer + child, whole trace)', async () => {
    expect(ids).toHaveLength(6);
    const listed = await fetch(`${receiver.httpUrl}/v1/trajectories?limit=100`).then((result) => result.json()) as { trajectories: Array<{ id: string }> };
    expect(listed.trajectories.map((summary) => summary.id).sort()).toEqual(ids);
  });

  it('returns the same summary, turns, rewards and credit for every trajectory', async () => {
    for (const id of ids) {
      const expected = await fromViews(id);
      const actual = await getTrajectory(receiver.store.client, 'default', id, settings);
      expect(actual, id).toBeDefined();
      const { tools: _tools, ...comparable } = expected;
      expectAgree(actual, comparable, id);
    }
  });

  it('lists the same summaries the trajectories view computes', async () => {
    const listed = await fetch(`${receiver.httpUrl}/v1/trajectories?limit=100`).then((result) => result.json()) as { trajectories: Array<Record<string, unknown>> };
    for (const summary of listed.trajectories) {
      const { turns: _turns, rewards: _rewards, credit: _credit, tools: _tools, ...expected } = await fromViews(String(summary['id']));
      expectAgree(summary, expected, String(summary['id']));
    }
  });

  it('covers the rules it claims to (inheritance, evaluation records, feedback, positional pairing)', async () => {
    const all = await Promise.all(ids.map((id) => getTrajectory(receiver.store.client, 'default', id, settings)));
    const child = all.find((trajectory) => trajectory?.agent_name === 'coder')!;
    expect(child).toMatchObject({ final_reward: -1, outcome: 'failure' });
    expect(child.parent_trajectory_id).not.toBe('');
    expect(child.rewards.map((reward) => reward.source)).toEqual(['evaluation']);
    const plain = all.find((trajectory) => trajectory?.id.length === 32)!;
    expect(plain).toMatchObject({ final_reward: 0.7, turn_count: 2 });
    expect(plain.turns[0]!.tool_calls).toEqual([expect.objectContaining({ name: 'greet', result: 'hi', status: 'ok' })]);
    expect(all.filter((trajectory) => trajectory?.final_reward === 0.1)).toHaveLength(1);
    const golden = all.find((trajectory) => trajectory?.final_reward === 0.1)!;
    expect(golden.turns[3]!.tool_calls.map((execution) => execution.name)).toEqual(['finish', 'cleanup']);
    expect(golden.credit[0]!.advantage).not.toBe(0);
  });
});
