import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { examplesRequestSchema, type ExamplesRequest } from '../../src/context/context-api.ts';
import { findExamples } from '../../src/context/examples.ts';
import { countTokens } from '../../src/context/token-budget.ts';
import { messageSchema } from '../../src/model/message.ts';
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

interface Run {
  agent: string;
  task: string;
  taskId?: string;
  calls: Array<{ name: string; args: Record<string, unknown>; result: string; error?: boolean }>;
  answer: string;
  reward: number;
}

const longResult = 'sunny spells '.repeat(100);

const teamA: Run[] = [
  {
    agent: 'forecaster',
    task: 'Weather forecast for Lyon tomorrow',
    taskId: 'weather',
    calls: [
      { name: 'geocode', args: { city: 'Lyon' }, result: '45.76,4.83' },
      { name: 'fetch_forecast', args: { lat: 45.76, lon: 4.83, days: 1 }, result: longResult },
    ],
    answer: 'Tomorrow in Lyon: sunny spells, 18 degrees.',
    reward: 0.9,
  },
  // A lexically close task of another family: shares the query's phrasing, not its subject.
  {
    agent: 'ticketing',
    task: 'What will the price be for the tickets to the show tomorrow evening?',
    taskId: 'tickets',
    calls: [{ name: 'ticket_prices', args: { show: 'tonight' }, result: '42 EUR' }],
    answer: 'Tickets cost 42 EUR.',
    reward: 1,
  },
  {
    agent: 'forecaster',
    task: 'Weather forecast for Paris this weekend',
    taskId: 'weather',
    calls: [
      { name: 'geocode', args: { city: 'Paris' }, result: 'error: quota exceeded', error: true },
      { name: 'geocode', args: { city: 'Paris' }, result: '48.85,2.35' },
      { name: 'fetch_forecast', args: { lat: 48.85, lon: 2.35, days: 2 }, result: 'rain' },
    ],
    answer: 'Rain in Paris this weekend.',
    reward: 0.4,
  },
  // Failed: never an example, however similar.
  {
    agent: 'forecaster',
    task: 'Weather forecast for Lyon tomorrow evening',
    taskId: 'weather',
    calls: [{ name: 'fetch_forecast', args: { city: 'Lyon' }, result: 'unknown city', error: true }],
    answer: 'I could not find the forecast.',
    reward: 0,
  },
  // Two copies of one conversation (a retried rollout): one example, the better rewarded one.
  ...[0.6, 0.8].map((reward) => ({
    agent: 'summarizer',
    task: 'Summarize the quarterly sales report',
    calls: [{ name: 'read_file', args: { path: 'sales-q3.pdf' }, result: 'Revenue grew 12%.' }],
    answer: 'Sales grew 12% in the quarter.',
    reward,
  })),
];

const teamB: Run[] = [
  {
    agent: 'forecaster',
    task: 'Weather forecast for Lyon tomorrow morning',
    taskId: 'weather',
    calls: [{ name: 'fetch_forecast', args: { city: 'Lyon' }, result: 'fog' }],
    answer: 'Fog in Lyon tomorrow morning (team b).',
    reward: 1,
  },
];

let receiver: Receiver;

async function store(token: string, runs: Run[], offsetMinutes: number): Promise<void> {
  const headers = { authorization: `Bearer ${token}` };
  const start = Date.now() - 3_600_000 + offsetMinutes * 60_000;
  const spans = await recordSpans((tracer) => {
    for (const [index, run] of runs.entries()) {
      const time = clock(start + index * 60_000);
      const agent = agentSpan(tracer, time, 0, {
        'gen_ai.agent.name': run.agent,
        'trajectory.task.description': run.task,
        ...(run.taskId ? { 'trajectory.task.id': run.taskId } : {}),
      });
      const context = inside(agent);
      const user = message('user', text(run.task));
      const calls = message('assistant', ...run.calls.map((c, i) => call(`call_${i}`, c.name, c.args)));
      chat(tracer, time, context, 1, 2, [user], [calls]);
      run.calls.forEach((c, i) =>
        tool(tracer, time, context, 3 + i, 3.5 + i, c.name, `call_${i}`, c.args, c.result, { error: c.error ?? false }),
      );
      const end = 4 + run.calls.length;
      const results = run.calls.map((c, i) => message('tool', response(`call_${i}`, c.result)));
      chat(tracer, time, context, end, end + 1, [user, calls, ...results], [message('assistant', text(run.answer))]);
      rewardSpan(tracer, time, context, end + 2, run.reward);
      agent.end(time.at(end + 3));
    }
  });
  const exporter = createTraceExporter('http/protobuf', { ...receiver, headers });
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
  // Summaries are written in the background: wait until the listing has every run.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listed = await fetch(`${receiver.httpUrl}/v1/trajectories?limit=1000`, { headers });
    const { trajectories } = (await listed.json()) as { trajectories: TrajectorySummary[] };
    if (trajectories.length === runs.length) return;
    if (Date.now() > deadline) throw new Error(`listed ${trajectories.length} of ${runs.length} runs after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  receiver = await startTestReceiver({
    quietSeconds: 0,
    authTokens: 'examples-token-a=team-a,examples-token-b=team-b',
  });
  await store('examples-token-a', teamA, 0);
  await store('examples-token-b', teamB, 30);
}, 120_000);

afterAll(async () => {
  await receiver?.close();
});

function examples(request: Partial<ExamplesRequest> & { task: string }, tenant = 'team-a') {
  return findExamples(receiver.store.client, tenant, examplesRequestSchema.parse(request), { quietSeconds: 0 });
}

describe('findExamples', () => {
  it('renders the task, tool calls with short results, errors, the final answer, the reward and the id', async () => {
    const found = await examples({ task: 'Weather forecast for Paris this weekend', limit: 1 });
    const [example] = found.examples;
    expect(example?.task).toBe('Weather forecast for Paris this weekend');
    expect(example?.text).toBe(
      [
        `Example (trajectory ${example?.trajectory_id})`,
        'Task: Weather forecast for Paris this weekend',
        'Steps:',
        '1. geocode({"city":"Paris"}) -> ERROR: error: quota exceeded',
        '2. geocode({"city":"Paris"}) -> 48.85,2.35',
        '3. fetch_forecast({"lat":48.85,"lon":2.35,"days":2}) -> rain',
        'Final answer: Rain in Paris this weekend.',
        'Final reward: 0.4',
      ].join('\n'),
    );
    expect(example?.tokens).toBe(countTokens(example?.text ?? ''));
    expect(found).toMatchObject({ retrieval: 'ngram', tokenizer: 'o200k_base', truncated: false });
    expect(found.prompt).toBe(example?.text);
  });

  it('cuts long tool results with a visible marker', async () => {
    const found = await examples({ task: 'Weather forecast for Lyon tomorrow', limit: 1 });
    expect(found.examples[0]?.text).toContain(
      `-> ${longResult.trim().slice(0, 200)}... [${longResult.trim().length - 200} more characters]`,
    );
  });

  it('never exceeds max_tokens: drops middle steps first, then whole examples, and says so', async () => {
    const whole = await examples({ task: 'Weather forecast for Paris this weekend', limit: 1 });
    // One token short of the whole example: it must lose a middle step, not its task or answer.
    const budget = whole.tokens - 1;
    const shortened = await examples({ task: 'Weather forecast for Paris this weekend', limit: 1, max_tokens: budget });
    expect(shortened.tokens).toBeLessThanOrEqual(budget);
    expect(shortened.tokens).toBe(countTokens(shortened.prompt));
    expect(shortened.truncated).toBe(true);
    const text = shortened.examples[0]?.text ?? '';
    expect(text).toContain('... [1 step omitted] ...');
    expect(text).toContain('1. geocode({"city":"Paris"}) -> ERROR: error: quota exceeded');
    expect(text).toContain('3. fetch_forecast(');
    expect(text).toContain('Task: Weather forecast for Paris this weekend');
    expect(text).toContain('Final answer: Rain in Paris this weekend.');

    for (const max_tokens of [50, 80, 120, 200, 400]) {
      const fitted = await examples({ task: 'Weather forecast', limit: 5, max_tokens });
      expect(fitted.tokens).toBeLessThanOrEqual(max_tokens);
      expect(fitted.tokens).toBe(countTokens(fitted.prompt));
    }
    const tiny = await examples({ task: 'Weather forecast', limit: 5, max_tokens: 50 });
    expect(tiny.truncated).toBe(true);
  });

  it('gives few-shot pairs in the OpenAI chat shape', async () => {
    const found = await examples({ task: 'Weather forecast for Paris this weekend', limit: 2 });
    expect(found.messages).toHaveLength(found.examples.length * 2);
    for (const parsed of found.messages) expect(messageSchema.parse(parsed)).toEqual(parsed);
    expect(found.messages[0]).toEqual({ role: 'user', content: 'Weather forecast for Paris this weekend' });
    expect(found.messages[1]?.role).toBe('assistant');
    expect(found.messages[1]?.content).toContain('1. geocode({"city":"Paris"}) -> ERROR: error: quota exceeded');
    expect(found.messages[1]?.content).toContain('Final answer: Rain in Paris this weekend.');
  });

  it('returns only successful trajectories, filtered by agent, task id and min_reward', async () => {
    const all = await examples({ task: 'Weather forecast for Lyon tomorrow evening', limit: 20, max_tokens: 8000 });
    const tasks = all.examples.map((example) => example.task);
    expect(tasks).not.toContain('Weather forecast for Lyon tomorrow evening');
    expect(tasks).toContain('Weather forecast for Lyon tomorrow');

    const byAgent = await examples({ task: 'Tickets to the show', agent: 'ticketing', limit: 20, max_tokens: 8000 });
    expect(byAgent.examples.map((example) => example.agent_name)).toEqual(['ticketing']);

    const byTask = await examples({ task: 'Weather forecast', task_id: 'weather', limit: 20, max_tokens: 8000 });
    expect(byTask.examples.map((example) => example.task).sort()).toEqual([
      'Weather forecast for Lyon tomorrow',
      'Weather forecast for Paris this weekend',
    ]);

    const rewarded = await examples({ task: 'Weather forecast', min_reward: 0.5, task_id: 'weather', limit: 20 });
    expect(rewarded.examples.map((example) => example.final_reward)).toEqual([0.9]);
  });

  it('ranks a paraphrase of the same family above a lexically closer task of another family', async () => {
    const found = await examples({ task: 'What will the weather forecast be like tomorrow evening?', limit: 3 });
    const tasks = found.examples.map((example) => example.task);
    expect(tasks.indexOf('Weather forecast for Lyon tomorrow')).toBe(0);
    expect(tasks.indexOf('What will the price be for the tickets to the show tomorrow evening?')).toBeGreaterThan(0);
  });

  it('returns nothing for a task unlike any stored one, rather than the least unlike', async () => {
    const found = await examples({ task: 'explain quantum chromodynamics lattice gauge theory', limit: 3 });
    expect(found.examples).toEqual([]);
    expect(found.messages).toEqual([]);
  });

  it('does not return two copies of one conversation', async () => {
    const found = await examples({ task: 'Summarize the quarterly sales report', limit: 5, max_tokens: 8000 });
    const copies = found.examples.filter((example) => example.task === 'Summarize the quarterly sales report');
    expect(copies.map((example) => example.final_reward)).toEqual([0.8]);
  });

  it("never shows another tenant's trajectories", async () => {
    const a = await examples({ task: 'Weather forecast for Lyon tomorrow morning', limit: 20, max_tokens: 8000 });
    expect(a.prompt).not.toContain('team b');
    const b = await examples({ task: 'Weather forecast for Lyon tomorrow', limit: 20, max_tokens: 8000 }, 'team-b');
    expect(b.examples.map((example) => example.task)).toEqual(['Weather forecast for Lyon tomorrow morning']);
  });
});
