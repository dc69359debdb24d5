import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Tracer } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { predictRequestSchema, type PredictResponse } from '../../src/context/context-api.ts';
import { conversationStateOf } from '../../src/context/decision-points.ts';
import { predictOutcome } from '../../src/context/predict.ts';
import type { Message } from '../../src/model/message.ts';
import type { TrajectorySummary } from '../../src/model/trajectory.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import {
  agentSpan,
  call,
  chat,
  clock,
  inside,
  message,
  response,
  rewardSpan,
  text,
  tool,
} from '../trajectories/golden-traces.ts';

/**
 * History (tenant-a, agent researcher, "population of <city>" tasks), each run one trajectory:
 *   fetchers:  search -> fetch -> answer, 7 runs, 5 succeed; plus one loop run search -> fetch x3 -> answer, succeeds
 *   answerers: search -> answer, 5 runs with a reward, 1 succeeds; plus one run without any reward (outcome unknown)
 *   one run of an unrelated task (translate -> answer), which no prediction may count
 * So after `search`, fetching succeeded in 6 of 8 runs and answering directly in 1 of 5 (6 runs).
 * tenant-b holds the same task where answering directly right away always succeeds (two runs) and one run that
 * searched after a failed model call; tenant-c holds nothing.
 */
let receiver: Receiver;
const quietSeconds = 1;
const hourAgo = Date.now() - 3_600_000;
const tokens = { a: 'token-aaaaaaaa', b: 'token-bbbbbbbb', c: 'token-cccccccc' };
const cities = [
  'Lyon',
  'Paris',
  'Nantes',
  'Lille',
  'Nice',
  'Rennes',
  'Dijon',
  'Brest',
  'Metz',
  'Caen',
  'Tours',
  'Pau',
  'Albi',
  'Agen',
];

interface Run {
  tools: string[];
  /** A first model call that fails without output (the agent retries it): no decision. */
  failedFirstCall?: boolean;
  /** The task text, "Find the population of <city>" unless given. */
  task?: string;
  /** Final reward; none leaves the outcome unknown. */
  reward?: number;
}

/** One agent run with the real SDK: one turn per tool (each calls it), then a turn that answers. */
function produceRun(tracer: Tracer, index: number, run: Run): void {
  const time = clock(hourAgo + index * 60_000);
  const city = cities[index] as string;
  const task = run.task ?? `Find the population of ${city}`;
  const agent = agentSpan(tracer, time, 0, {
    'gen_ai.agent.name': 'researcher',
    'trajectory.task.description': task,
  });
  const context = inside(agent);
  const conversation: unknown[] = [message('user', text(task))];
  let second = 1;
  if (run.failedFirstCall) {
    chat(tracer, time, context, second, second + 1, [...conversation], undefined, { error: true });
    second += 2;
  }
  run.tools.forEach((name, step) => {
    const id = `call_${step}`;
    const output = message('assistant', call(id, name, { city }));
    chat(tracer, time, context, second, second + 1, [...conversation], [output]);
    tool(tracer, time, context, second + 1, second + 2, name, id, { city }, `${name} result`);
    conversation.push(output, message('tool', response(id, `${name} result`)));
    second += 3;
  });
  chat(tracer, time, context, second, second + 1, [...conversation], [message('assistant', text('About 500000'))]);
  if (run.reward !== undefined) rewardSpan(tracer, time, context, second + 2, run.reward);
  agent.end(time.at(second + 3));
}

const tenantAHistory: Run[] = [
  ...[1, 1, 1, 1, 1, 0, 0].map((reward) => ({ tools: ['search', 'fetch'], reward })),
  { tools: ['search', 'fetch', 'fetch', 'fetch'], reward: 1 },
  ...[1, 0, 0, 0, 0].map((reward) => ({ tools: ['search'], reward })),
  { tools: ['search'] },
  // Shares no n-gram with the questions asked, so it is no similar trajectory.
  { tools: ['translate'], reward: 1, task: 'Hkjq xzvw' },
];
const tenantBHistory: Run[] = [
  { tools: [], reward: 1 },
  { tools: [], reward: 1 },
  { tools: ['search'], reward: 0, failedFirstCall: true },
];

async function send(spans: ReadableSpan[], token: string): Promise<void> {
  const exporter = createTraceExporter('http/protobuf', { ...receiver, headers: { authorization: `Bearer ${token}` } });
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
}

async function listed(token: string): Promise<TrajectorySummary[]> {
  const result = await fetch(`${receiver.httpUrl}/v1/trajectories?limit=100`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(result.status).toBe(200);
  return ((await result.json()) as { trajectories: TrajectorySummary[] }).trajectories;
}

/** Until the summarizer lists every run sent, with its outcome settled. */
async function untilSummarized(token: string, runs: Run[]): Promise<TrajectorySummary[]> {
  for (let attempt = 0; attempt < 150; attempt++) {
    const summaries = await listed(token);
    if (summaries.length === runs.length && summaries.every((summary) => summary.complete)) return summaries;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the summarizer did not list ${runs.length} complete trajectories`);
}

/** Trajectory ids by task city (one run per city), to name the runs each estimate should cite. */
let idsByCity: Map<string, string>;
const idsOf = (indexes: number[]) => indexes.map((index) => idsByCity.get(cities[index] as string));

beforeAll(async () => {
  receiver = await startTestReceiver({
    quietSeconds,
    authTokens: `${tokens.a}=tenant-a,${tokens.b}=tenant-b,${tokens.c}=tenant-c`,
  });
  await send(
    await recordSpans((tracer) => tenantAHistory.forEach((run, index) => produceRun(tracer, index, run))),
    tokens.a,
  );
  await send(
    await recordSpans((tracer) => tenantBHistory.forEach((run, index) => produceRun(tracer, index, run))),
    tokens.b,
  );
  const summaries = await untilSummarized(tokens.a, tenantAHistory);
  idsByCity = new Map(summaries.map((summary) => [summary.task.replace('Find the population of ', ''), summary.id]));
  await untilSummarized(tokens.b, tenantBHistory);
}, 120_000);

afterAll(async () => {
  await receiver?.close();
});

const searchCall = (id: string, name: string, args: string) => ({
  id,
  type: 'function' as const,
  function: { name, arguments: args },
});

/** A conversation: the task, then one assistant message per tool called (arguments as JSON text) and its result. */
function conversation(tools: string[]): Message[] {
  const messages: Message[] = [{ role: 'user', content: 'What is the population of Lyon?' }];
  tools.forEach((name, index) => {
    messages.push({ role: 'assistant', content: null, tool_calls: [searchCall(`q${index}`, name, '{"city":"Lyon"}')] });
    messages.push({ role: 'tool', content: `${name} result`, tool_call_id: `q${index}` });
  });
  return messages;
}

async function predict(tenant: string, body: unknown): Promise<PredictResponse> {
  return predictOutcome(receiver.store.client, tenant, predictRequestSchema.parse(body), { quietSeconds });
}

describe('predictOutcome', () => {
  it('reads the state of a conversation from its assistant tool calls, in order', () => {
    const messages: Message[] = [
      { role: 'system', content: 'You research.' },
      { role: 'user', content: [{ type: 'text', text: 'Population of Lyon' }] },
      {
        role: 'assistant',
        content: null,
        tool_calls: [searchCall('a', 'search', '{"q":"Lyon"}'), searchCall('b', 'lookup', '{}')],
      },
      { role: 'tool', content: 'x', tool_call_id: 'a' },
      { role: 'assistant', content: null, tool_calls: [searchCall('c', 'fetch', '{"url":"https://x"}')] },
    ];
    expect(conversationStateOf(messages)).toEqual({
      task: 'Population of Lyon',
      history: ['search', 'lookup', 'fetch'],
      step: 2,
    });
  });

  it('predicts from the same history: after search, fetching mostly succeeded and answering mostly failed', async () => {
    const result = await predict('tenant-a', {
      messages: conversation(['search']),
      action: { type: 'tool_call', name: 'fetch', arguments: '{"url":"https://example.org/lyon"}' },
    });
    expect(result.match).toBe('same_history');
    expect(result.prediction).toMatchObject({ action: 'fetch', support: 8, success_rate: 0.75, mean_reward: 0.75 });
    expect(new Set(result.prediction.supporting_trajectory_ids)).toEqual(new Set(idsOf([0, 1, 2, 3, 4, 5, 6, 7])));
    expect(result.alternatives).toHaveLength(1);
    const answer = result.alternatives[0]!;
    // The run without a reward counts as support but not in the rate.
    expect(answer).toMatchObject({ action: 'answer', support: 6, success_rate: 0.2, mean_reward: 0.2 });
    expect(new Set(answer.supporting_trajectory_ids)).toEqual(new Set(idsOf([8, 9, 10, 11, 12, 13])));
    expect(result.similar_states).toBe(14);
    expect(result.text).toContain('calling `fetch` led to success in 6 of 8 runs (75%');
    expect(result.text).toContain('answering directly: 1 of 5 (20%');
  });

  it('predicts answering with fetching as the alternative, whatever the candidate', async () => {
    const result = await predict('tenant-a', { messages: conversation(['search']), action: { type: 'answer' } });
    expect(result.prediction).toMatchObject({ action: 'answer', support: 6, success_rate: 0.2 });
    expect(result.alternatives.map((alternative) => [alternative.action, alternative.support])).toEqual([['fetch', 8]]);
  });

  it('falls back to the same last step, counting a run that loops on fetch once', async () => {
    const result = await predict('tenant-a', {
      messages: conversation(['lookup', 'fetch']),
      action: { type: 'answer', content: 'About 500000' },
    });
    expect(result.match).toBe('same_last_step');
    // Every fetching run answered after a fetch, the loop run once though it fetched three times.
    expect(result.prediction).toMatchObject({ action: 'answer', support: 8, success_rate: 0.75 });
    expect(result.alternatives).toEqual([expect.objectContaining({ action: 'fetch', support: 1, success_rate: 1 })]);
  });

  it('falls back to the same task at about the same step for a state never seen', async () => {
    const result = await predict('tenant-a', {
      messages: conversation(['translate']),
      action: { type: 'tool_call', name: 'fetch' },
    });
    expect(result.match).toBe('same_task');
    // Steps 0 to 2: every run searched first, fetchers fetched at step 1 (the loop also at 2), answerers answered.
    expect(result.prediction).toMatchObject({ action: 'fetch', support: 8, success_rate: 0.75 });
    expect(result.alternatives.map((alternative) => [alternative.action, alternative.support])).toEqual([
      ['search', 14],
      ['answer', 13],
    ]);
    expect(result.text).toMatch(/^At similar states \(a similar task, about the same step\)/);
  });

  it('bounds alternatives by limit', async () => {
    const result = await predict('tenant-a', {
      messages: conversation(['translate']),
      action: { type: 'tool_call', name: 'fetch' },
      limit: 1,
    });
    expect(result.alternatives.map((alternative) => alternative.action)).toEqual(['search']);
  });

  it('answers with no support and no rate when a tenant has no history', async () => {
    const result = await predict('tenant-c', { messages: conversation(['search']), action: { type: 'answer' } });
    expect(result).toEqual({
      match: 'same_task',
      similar_states: 0,
      prediction: {
        action: 'answer',
        success_rate: null,
        mean_reward: null,
        support: 0,
        supporting_trajectory_ids: [],
      },
      alternatives: [],
      text: 'No similar past decision points: there is no history to predict from.',
    });
  });

  // The failed first call of tenant-b's searching run decided nothing: it is neither an answer nor a step.
  it("sees only the asking tenant's history", async () => {
    const result = await predict('tenant-b', { messages: conversation([]), action: { type: 'answer' } });
    expect(result.match).toBe('same_history');
    expect(result.prediction).toMatchObject({ action: 'answer', support: 2, success_rate: 1 });
    expect(result.alternatives).toEqual([expect.objectContaining({ action: 'search', support: 1, success_rate: 0 })]);
    const tenantBIds = new Set((await listed(tokens.b)).map((summary) => summary.id));
    for (const id of [
      ...result.prediction.supporting_trajectory_ids,
      ...result.alternatives[0]!.supporting_trajectory_ids,
    ])
      expect(tenantBIds.has(id)).toBe(true);
  });

  it('narrows similar runs to the agent asked about', async () => {
    const researcher = await predict('tenant-a', {
      messages: conversation(['search']),
      action: { type: 'tool_call', name: 'fetch' },
      agent: 'researcher',
    });
    expect(researcher.prediction.support).toBe(8);
    const other = await predict('tenant-a', {
      messages: conversation(['search']),
      action: { type: 'tool_call', name: 'fetch' },
      agent: 'someone-else',
    });
    expect(other.prediction.support).toBe(0);
    expect(other.similar_states).toBe(0);
  });

  it('refuses a conversation without a user message, naming the field', async () => {
    await expect(
      predict('tenant-a', { messages: [{ role: 'system', content: 'You research.' }], action: { type: 'answer' } }),
    ).rejects.toThrow(/^messages: no user message/);
  });
});
