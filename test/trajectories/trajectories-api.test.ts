import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import type { Trajectory, TrajectorySummary } from '../../src/model/trajectory.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import { agentSpan, call, chat, clock, inside, message, response, rewardSpan, text, tool } from './golden-traces.ts';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

let receiver: Receiver;
const quietSeconds = 1;
const hourAgo = Date.now() - 3_600_000;

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds, gamma: 0.5 });
});
afterAll(async () => {
  await receiver?.close();
});

async function send(spans: ReadableSpan[], tenantToken?: string): Promise<void> {
  const exporter = createTraceExporter('http/protobuf', {
    ...receiver,
    headers: tenantToken ? { authorization: `Bearer ${tenantToken}` } : {},
  });
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
}

async function getJson<T>(path: string, status = 200): Promise<T> {
  const result = await fetch(`${receiver.httpUrl}${path}`);
  expect(result.status, `${path}: ${status}`).toBe(status);
  return (await result.json()) as T;
}

const waitQuiet = () => new Promise((resolve) => setTimeout(resolve, quietSeconds * 1000 + 300));

const system = message('system', text('You are a solver.'));
const user = message('user', text('Solve task 7'));
const firstOutput = message('assistant', call('call_a', 'lookup', { q: 1 }), call('call_b', 'calc', { x: 2 }));
const secondOutput = message('assistant', call('call_c', 'search', { q: 'x' }));

/**
 * The golden run (times in seconds after base):
 *   agent solver [0, 20], task id golden-task
 *   turn 0 chat [1,2]  -> parallel calls call_a (lookup, ok) and call_b (calc, error), tools at [2,3] and [2,4]
 *   turn 1 chat [5,6]  -> call_c (search), which no tool answers
 *   turn 2 chat [7,8]  fails (status error), no output
 *   turn 3 chat [9,10] -> a call without id, answered by the id-less tool span at [11,12] (by position)
 *   reward span 0.8 at 19
 * AIR (defaults): turn 0 = +0.1 - 0.1 = 0; turn 1 = -0.1; turn 2 = -0.1; turn 3 = +0.1.
 */
function goldenRun(base: number, reward: number, taskId = 'golden-task') {
  return recordSpans((tracer) => {
    const time = clock(base);
    const agent = agentSpan(tracer, time, 0, {
      'gen_ai.agent.name': 'solver',
      'trajectory.task.id': taskId,
      'trajectory.task.description': 'solve task 7',
    });
    const context = inside(agent);
    chat(tracer, time, context, 1, 2, [system, user], [firstOutput]);
    tool(tracer, time, context, 2, 3, 'lookup', 'call_a', { q: 1 }, 'A');
    tool(tracer, time, context, 2, 4, 'calc', 'call_b', { x: 2 }, 'boom', { error: true });
    const afterTools = [
      system,
      user,
      firstOutput,
      message('tool', response('call_a', 'A'), response('call_b', 'boom')),
    ];
    chat(tracer, time, context, 5, 6, afterTools, [secondOutput]);
    chat(tracer, time, context, 7, 8, [...afterTools, secondOutput], undefined, { error: true });
    chat(
      tracer,
      time,
      context,
      9,
      10,
      [...afterTools, secondOutput, message('user', text('try again'))],
      [message('assistant', call(undefined, 'finish', { ok: true }))],
    );
    tool(tracer, time, context, 11, 12, 'finish', undefined, { ok: true }, 'done');
    rewardSpan(tracer, time, context, 19, reward);
    agent.end(time.at(20));
  });
}

describe('golden trajectory through the receiver and the HTTP API', () => {
  let golden: Trajectory;
  let goldenId: string;

  beforeAll(async () => {
    const spans = await goldenRun(hourAgo, 0.8);
    const agent = spans.find((span) => span.name.startsWith('invoke_agent'))!;
    goldenId = `${agent.spanContext().traceId}-${agent.spanContext().spanId}`;
    // Two more runs of the same task for the GRPO group: rewards 0.2 and 0.5.
    await send([...spans, ...(await goldenRun(hourAgo + 60_000, 0.2)), ...(await goldenRun(hourAgo + 120_000, 0.5))]);
    await waitQuiet();
    golden = await getJson<Trajectory>(`/v1/trajectories/${goldenId}`);
  });

  it('summarises the trajectory', () => {
    expect(golden).toMatchObject({
      id: goldenId,
      agent_name: 'solver',
      task: 'solve task 7',
      task_id: 'golden-task',
      parent_trajectory_id: '',
      turn_count: 4,
      tool_call_count: 4,
      error_count: 2,
      input_tokens: 40,
      output_tokens: 20,
      final_reward: 0.8,
      outcome: 'success',
      complete: true,
      duration_ms: 20_000,
    });
  });

  it('assembles turns with tool executions paired by id, by position, and unanswered', () => {
    expect(golden.turns.map((turn) => turn.index)).toEqual([0, 1, 2, 3]);
    const [first, second, third, fourth] = golden.turns;
    expect(first!.tool_calls).toEqual([
      expect.objectContaining({
        name: 'lookup',
        call_id: 'call_a',
        arguments: '{"q":1}',
        result: 'A',
        status: 'ok',
        air_reward: 0.1,
      }),
      expect.objectContaining({
        name: 'calc',
        call_id: 'call_b',
        arguments: '{"x":2}',
        result: 'boom',
        status: 'error',
        air_reward: -0.1,
      }),
    ]);
    expect(second!.tool_calls).toEqual([
      expect.objectContaining({
        name: 'search',
        call_id: 'call_c',
        result: null,
        status: 'missing',
        span_id: '',
        air_reward: -0.1,
      }),
    ]);
    expect(third).toMatchObject({ status: 'error', output_message: null, tool_calls: [] });
    expect(fourth!.tool_calls).toEqual([
      expect.objectContaining({ name: 'finish', result: 'done', status: 'ok', air_reward: 0.1 }),
    ]);
    expect(golden.turns.map((turn) => turn.air_reward)).toEqual(
      [0, -0.1, -0.1, 0.1].map((value) => expect.closeTo(value, 9)),
    );
  });

  it('exposes the new messages of each turn so one conversation can be rebuilt', () => {
    const [first, second, third, fourth] = golden.turns;
    expect(first!.input_messages).toHaveLength(2);
    expect(first!.new_messages.map((m) => m.role)).toEqual(['system', 'user']);
    // Turn 1 repeats the prompt and turn 0's output; only the tool results are new.
    expect(second!.input_messages).toHaveLength(5);
    expect(second!.new_messages).toEqual([
      { role: 'tool', content: 'A', tool_call_id: 'call_a' },
      { role: 'tool', content: 'boom', tool_call_id: 'call_b' },
    ]);
    expect(third!.new_messages).toEqual([]);
    expect(fourth!.new_messages).toEqual([{ role: 'user', content: 'try again' }]);
  });

  it('computes identical, discounted and AIR-shaped returns and the GRPO advantage', () => {
    // gamma 0.5, R 0.8, AIR [0, -0.1, -0.1, 0.1]: G3 = 0.1, G2 = -0.05, G1 = -0.125, G0 = -0.0625.
    const expected = [
      { identical: 0.8, discounted: 0.1, air_shaped: 0.0375 },
      { identical: 0.8, discounted: 0.2, air_shaped: 0.075 },
      { identical: 0.8, discounted: 0.4, air_shaped: 0.35 },
      { identical: 0.8, discounted: 0.8, air_shaped: 0.9 },
    ];
    // Group {0.8, 0.2, 0.5}: mean 0.5, population std sqrt(0.06).
    const advantage = 0.3 / Math.sqrt(0.06);
    expect(golden.credit).toHaveLength(4);
    golden.credit.forEach((credit, index) => {
      expect(credit.turn_index).toBe(index);
      expect(credit.span_id).toBe(golden.turns[index]!.span_id);
      expect(credit.identical).toBeCloseTo(expected[index]!.identical, 9);
      expect(credit.discounted).toBeCloseTo(expected[index]!.discounted, 9);
      expect(credit.air_shaped).toBeCloseTo(expected[index]!.air_shaped, 9);
      expect(credit.advantage).toBeCloseTo(advantage, 9);
    });
  });

  it('lists the reward span with its source', () => {
    expect(golden.rewards).toEqual([expect.objectContaining({ name: 'task_success', value: 0.8, source: 'span' })]);
  });

  it('makes feedback posted hours later the final reward and re-ranks the group', async () => {
    const post = await fetch(`${receiver.httpUrl}/v1/trajectories/${goldenId}/rewards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: 0,
        name: 'human',
        comment: 'wrong answer',
        time_unix_nano: String(BigInt(Date.now()) * 1_000_000n),
      }),
    });
    expect(post.status).toBe(201);
    const after = await getJson<Trajectory>(`/v1/trajectories/${goldenId}`);
    expect(after).toMatchObject({ final_reward: 0, outcome: 'failure' });
    expect(after.rewards.map((reward) => reward.source).sort()).toEqual(['feedback', 'span']);
    // Group {0, 0.2, 0.5}: mean 0.7/3.
    const values = [0, 0.2, 0.5];
    const mean = 0.7 / 3;
    const std = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / 3);
    expect(after.credit[0]!.advantage).toBeCloseTo((0 - mean) / std, 9);
    expect(after.credit[3]!.identical).toBe(0);
  });

  it('validates feedback and answers 404 for an unknown trajectory', async () => {
    const bad = await fetch(`${receiver.httpUrl}/v1/trajectories/${goldenId}/rewards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'high' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^value/);
    const unknown = await fetch(`${receiver.httpUrl}/v1/trajectories/${'ab'.repeat(16)}/rewards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 1 }),
    });
    expect(unknown.status).toBe(404);
    await getJson(`/v1/trajectories/${'cd'.repeat(16)}`, 404);
  });

  it('lists with filters and keyset pagination', async () => {
    const all = await getJson<{ trajectories: TrajectorySummary[]; next_cursor: string | null }>(
      '/v1/trajectories?task=golden-task&limit=10',
    );
    expect(all.trajectories).toHaveLength(3);
    expect(all.next_cursor).toBeNull();
    // Newest first.
    expect(all.trajectories.map((summary) => summary.final_reward)).toEqual([0.5, 0.2, 0]);
    const first = await getJson<{ trajectories: TrajectorySummary[]; next_cursor: string | null }>(
      '/v1/trajectories?task=golden-task&limit=2',
    );
    expect(first.trajectories).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const second = await getJson<{ trajectories: TrajectorySummary[]; next_cursor: string | null }>(
      `/v1/trajectories?task=golden-task&limit=2&cursor=${first.next_cursor}`,
    );
    expect(second.trajectories.map((summary) => summary.id)).toEqual([all.trajectories[2]!.id]);
    expect(second.next_cursor).toBeNull();
    // Sorted by a column, paged with a cursor made for that sort; another sort's cursor is a 400.
    const byReward = await getJson<{ trajectories: TrajectorySummary[]; next_cursor: string | null }>(
      '/v1/trajectories?task=golden-task&sort=final_reward&order=asc&limit=2',
    );
    expect(byReward.trajectories.map((summary) => summary.final_reward)).toEqual([0, 0.2]);
    const byRewardNext = await getJson<{ trajectories: TrajectorySummary[]; next_cursor: string | null }>(
      `/v1/trajectories?task=golden-task&sort=final_reward&order=asc&limit=2&cursor=${byReward.next_cursor}`,
    );
    expect(byRewardNext.trajectories.map((summary) => summary.final_reward)).toEqual([0.5]);
    const mismatch = await getJson<{ error: string }>(
      `/v1/trajectories?task=golden-task&limit=2&cursor=${byReward.next_cursor}`,
      400,
    );
    expect(mismatch.error).toMatch(/^cursor: made for sort=final_reward&order=asc, not sort=start_time&order=desc/);
    const rewarded = await getJson<{ trajectories: TrajectorySummary[] }>(
      '/v1/trajectories?min_reward=0.3&agent=solver',
    );
    expect(rewarded.trajectories.map((summary) => summary.final_reward)).toEqual([0.5]);
    const failures = await getJson<{ trajectories: TrajectorySummary[] }>(
      `/v1/trajectories?outcome=failure&since=${new Date(hourAgo - 1000).toISOString()}`,
    );
    expect(failures.trajectories.map((summary) => summary.id)).toEqual([goldenId]);
    const byTrace = await getJson<{ trajectories: TrajectorySummary[] }>(
      `/v1/trajectories?trace_id=${goldenId.slice(0, 32)}`,
    );
    expect(byTrace.trajectories.map((summary) => summary.id)).toEqual([goldenId]);
    const none = await getJson<{ trajectories: TrajectorySummary[] }>(`/v1/trajectories?until=${hourAgo - 1000}`);
    expect(none.trajectories).toEqual([]);
  });

  it('answers 400 naming the field for invalid filters', async () => {
    for (const [query, field] of [
      ['min_reward=abc', 'min_reward'],
      ['since=yesterday', 'since'],
      ['outcome=great', 'outcome'],
      ['limit=0', 'limit'],
      ['trace_id=xyz', 'trace_id'],
      ['complete=maybe', 'complete'],
      ['cursor=zzz', 'cursor'],
      ['sort=nope', 'sort'],
      ['order=up', 'order'],
    ] as const) {
      const result = await fetch(`${receiver.httpUrl}/v1/trajectories?${query}`);
      expect(result.status, query).toBe(400);
      expect(((await result.json()) as { error: string }).error, query).toMatch(new RegExp(`^${field}`));
    }
  });

  it('finds similar successful trajectories for a new task', async () => {
    const found = await getJson<{ trajectories: Array<TrajectorySummary & { similarity: number }> }>(
      '/v1/trajectories/search?q=solve%20task%208&min_reward=0.1',
    );
    expect(found.trajectories.map((summary) => summary.final_reward).sort()).toEqual([0.2, 0.5]);
    expect(found.trajectories[0]!.similarity).toBeGreaterThan(0.5);
    await getJson('/v1/trajectories/search', 400);
  });

  it('searches every outcome with outcome=any, one outcome with outcome=<outcome>, and one agent', async () => {
    type Found = { trajectories: TrajectorySummary[] };
    const successes = await getJson<Found>('/v1/trajectories/search?q=solve%20task%208&limit=50');
    const any = await getJson<Found>('/v1/trajectories/search?q=solve%20task%208&outcome=any&limit=50');
    const failures = await getJson<Found>('/v1/trajectories/search?q=solve%20task%208&outcome=failure&limit=50');
    expect(successes.trajectories.every((summary) => summary.outcome === 'success')).toBe(true);
    expect(failures.trajectories.length).toBeGreaterThan(0);
    expect(failures.trajectories.every((summary) => summary.outcome === 'failure')).toBe(true);
    const ids = (found: Found) => found.trajectories.map((summary) => summary.id).sort();
    expect(ids(any)).toEqual([...ids(successes), ...ids(failures)].sort());
    const agent = any.trajectories[0]!.agent_name;
    const ofAgent = await getJson<Found>(
      `/v1/trajectories/search?q=solve%20task%208&outcome=any&agent=${encodeURIComponent(agent)}&limit=50`,
    );
    expect(ofAgent.trajectories.length).toBeGreaterThan(0);
    expect(ofAgent.trajectories.every((summary) => summary.agent_name === agent)).toBe(true);
    const refused = await fetch(`${receiver.httpUrl}/v1/trajectories/search?q=x&outcome=great`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^outcome/);
  });

  it('stores feedback whose comment was cut mid-emoji, with U+FFFD for the lone surrogate', async () => {
    // JSON.stringify escapes the lone surrogate as \ud83d; JSON.parse alone would hand ClickHouse a string it refuses.
    const post = await fetch(`${receiver.httpUrl}/v1/trajectories/${goldenId}/rewards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 0, name: 'human', comment: 'still wrong \ud83d' }),
    });
    expect(post.status).toBe(201);
    const after = await getJson<Trajectory>(`/v1/trajectories/${goldenId}`);
    expect(after.rewards.map((reward) => reward.comment)).toContain('still wrong \uFFFD');
  });
});
