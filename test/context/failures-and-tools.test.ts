/**
 * `analyzeFailures` and `recommendTools` over one planted history sent through the real receiver: a researcher
 * agent whose `fetch` times out twice in most failed runs (which then stop after the third turn), runs that
 * succeed through `search -> fetch -> answer`, a `lookup` tool with a clean record, a one-off failure that must
 * not rank, a writer agent with its own errors, and a second tenant.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { failuresRequestSchema, toolsRequestSchema } from '../../src/context/context-api.ts';
import { analyzeFailures } from '../../src/context/failures.ts';
import { recommendTools } from '../../src/context/tools.ts';
import { createEmbeddingClient, type EmbeddingClient } from '../../src/trajectories/embedding-client.ts';
import { createTraceExporter, exportSpans, exportSucceeded } from '../helpers/export-spans.ts';
import { waitFor } from '../helpers/prometheus-text.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import { recordRuns, type PlannedRun, type RecordedRun, type Step } from './planted-history.ts';

const tokens = { 'tenant-a': 'token-aaaaaaaa', 'tenant-b': 'token-bbbbbbbb' };
const base = Date.now() - 7_200_000;

const ok = (name: string, result = 'fine'): Step => ({ tool: name, result });
const failing = (name: string, result: string): Step => ({ tool: name, result, error: true });
const researcher = (steps: Step[], reward: number | undefined, index: number): PlannedRun => ({
  agent: 'researcher',
  taskId: 'population',
  task: `find the population of city number ${index}`,
  steps,
  ...(reward !== undefined ? { reward } : {}),
});
const times = <T>(count: number, make: (index: number) => T): T[] => Array.from({ length: count }, (_, i) => make(i));

const timeoutRuns = times(8, (i) =>
  researcher(
    [ok('search'), failing('fetch', `timeout after ${1000 + i} ms`), failing('fetch', `timeout after ${2000 + i} ms`)],
    0,
    i,
  ),
);
// Two of them with a middling reward, which a max_reward of 0.8 turns into failures.
const successRuns = times(6, (i) => researcher([ok('search'), ok('fetch', 'page'), 'answer'], i < 2 ? 0.5 : 1, i));
const recoveredRun = researcher(
  [ok('search'), failing('fetch', 'timeout after 777 ms'), ok('fetch', 'page'), 'answer'],
  1,
  20,
);
const lookupRuns = times(5, (i) => researcher([ok('lookup'), 'answer'], 1, 30 + i));
const calculatorRun = researcher([ok('calculator'), 'answer'], 1, 40);
const oneOffFailure = researcher([ok('translate'), ok('summarize'), 'answer'], 0, 41);
const unknownRun = researcher([ok('search'), 'answer'], undefined, 42);
const writerRuns = times(4, (i) => ({
  agent: 'writer',
  taskId: 'blog',
  task: `draft a blog post about gardening topic ${i}`,
  steps: [ok('outline'), failing('publish', `403 forbidden for '/posts/${i}/draft' (request ${i}f3a9c2d81e)`)],
  reward: 0,
}));
const otherTenantRuns = times(3, (i) => researcher([ok('search'), failing('fetch', 'connection reset by peer')], 0, i));

let receiver: Receiver;
let tenantA: RecordedRun[];
let tenantB: RecordedRun[];
const idsOf = (runs: PlannedRun[]) => tenantA.filter((run) => runs.includes(run.plan)).map((run) => run.id);

async function send(spans: ReadableSpan[], token: string): Promise<void> {
  const exporter = createTraceExporter('http/protobuf', { ...receiver, headers: { authorization: `Bearer ${token}` } });
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
}

async function listed(token: string): Promise<number> {
  const answer = await fetch(`${receiver.httpUrl}/v1/trajectories?limit=1000`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await answer.json()) as { trajectories: unknown[] }).trajectories.length;
}

beforeAll(async () => {
  receiver = await startTestReceiver({ authTokens: `${tokens['tenant-a']}=tenant-a,${tokens['tenant-b']}=tenant-b` });
  const planA = [
    ...timeoutRuns,
    ...successRuns,
    recoveredRun,
    ...lookupRuns,
    calculatorRun,
    oneOffFailure,
    unknownRun,
    ...writerRuns,
  ];
  tenantA = await recordRuns(planA, base);
  tenantB = await recordRuns(otherTenantRuns, base);
  await send(
    tenantA.flatMap((run) => run.spans),
    tokens['tenant-a'],
  );
  await send(
    tenantB.flatMap((run) => run.spans),
    tokens['tenant-b'],
  );
  await receiver.flush();
  await waitFor(
    async () => (await listed(tokens['tenant-a'])) === planA.length && (await listed(tokens['tenant-b'])) === 3,
    60_000,
  );
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  embeddingServer?.close();
});

/**
 * A local server speaking OpenAI's embeddings wire format whose "model" puts gardening words on one axis and
 * population words on the other, so a paraphrase with other n-grams still lands next to its topic.
 */
const topicAxes: Record<string, number> = {
  gardening: 0,
  plants: 0,
  garden: 0,
  population: 1,
  city: 1,
  inhabitants: 1,
};
const embeddedInputs: string[] = [];
let embeddingServer: Server;
let embeddings: EmbeddingClient;

beforeAll(async () => {
  embeddingServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const { model, input } = JSON.parse(body) as { model: string; input: string[] };
      embeddedInputs.push(...input);
      const vector = (text: string) => {
        const axes = [0, 0, 0.01];
        for (const word of text.toLowerCase().split(/\W+/)) {
          const axis = topicAxes[word];
          if (axis !== undefined) axes[axis] = (axes[axis] as number) + 1;
        }
        return axes;
      };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ model, data: input.map((text, index) => ({ index, embedding: vector(text) })) }));
    });
  });
  await new Promise<void>((resolve) => embeddingServer.listen(0, '127.0.0.1', resolve));
  const { port } = embeddingServer.address() as AddressInfo;
  embeddings = createEmbeddingClient({ url: `http://127.0.0.1:${port}/v1`, model: 'topic-axes' });
});

const failures = (tenant: string, request: Record<string, unknown>) =>
  analyzeFailures(receiver.store.client, tenant, failuresRequestSchema.parse(request));
const tools = (tenant: string, request: Record<string, unknown>) =>
  recommendTools(receiver.store.client, tenant, toolsRequestSchema.parse(request));

describe('analyzeFailures', () => {
  it('finds the planted tool error, give-up point and failing sequence with their counts and ids', async () => {
    const result = await failures('tenant-a', { agent: 'researcher' });
    const timeoutIds = idsOf(timeoutRuns);
    // 23 researcher runs: 8 timeouts and the one-off failed; 6 + 1 + 5 + 1 succeeded; one has no outcome.
    expect(result.analyzed).toEqual({ trajectories: 23, failed: 9, succeeded: 13 });

    expect(result.tool_errors).toHaveLength(1);
    const [timeout] = result.tool_errors;
    expect(timeout).toMatchObject({
      tool: 'fetch',
      error: 'timeout after N ms',
      count: 17,
      trajectories: 9,
      failed_trajectories: 8,
    });
    expect(timeout?.example_trajectory_ids).toHaveLength(5);
    for (const id of timeout?.example_trajectory_ids ?? []) expect(timeoutIds).toContain(id);

    expect(result.give_up_points).toEqual([
      {
        turn: 2,
        last_action: 'error:fetch',
        last_tool_call: 'error:fetch',
        count: 8,
        example_trajectory_ids: expect.any(Array),
      },
      {
        turn: 2,
        last_action: 'answer',
        last_tool_call: 'summarize',
        count: 1,
        example_trajectory_ids: idsOf([oneOffFailure]),
      },
    ]);
    for (const id of result.give_up_points[0]?.example_trajectory_ids ?? []) expect(timeoutIds).toContain(id);

    // fetch -> fetch has the triple's counts, so only the triple is listed; translate -> summarize (1 run) is noise.
    expect(result.sequences.map(({ sequence, failed, succeeded }) => ({ sequence, failed, succeeded }))).toEqual([
      { sequence: ['search', 'fetch', 'fetch'], failed: 8, succeeded: 1 },
      { sequence: ['search', 'fetch'], failed: 8, succeeded: 7 },
    ]);
    expect(result.sequences[0]?.failure_rate).toBeCloseTo(8 / 9);
    for (const id of result.sequences[0]?.example_trajectory_ids ?? []) expect(timeoutIds).toContain(id);

    expect(result.text).toContain('`fetch` fails with `timeout after N ms` in 8 of 9 failed runs');
    expect(result.text).toContain('`search -> fetch -> fetch` in 8 failed and 1 successful runs');
  });

  it('counts runs below max_reward as failed', async () => {
    const result = await failures('tenant-a', { agent: 'researcher', max_reward: 0.8 });
    expect(result.analyzed).toEqual({ trajectories: 23, failed: 11, succeeded: 11 });
  });

  it('keeps to the selected agent, task id and tenant, and blanks ids, numbers and paths in errors', async () => {
    const writer = await failures('tenant-a', { agent: 'writer' });
    expect(writer.analyzed).toEqual({ trajectories: 4, failed: 4, succeeded: 0 });
    expect(writer.tool_errors).toEqual([
      expect.objectContaining({
        tool: 'publish',
        error: 'N forbidden for <path> (request <id>)',
        count: 4,
        failed_trajectories: 4,
      }),
    ]);

    const byTask = await failures('tenant-a', { task_id: 'blog' });
    expect(byTask.analyzed.trajectories).toBe(4);

    const otherTenant = await failures('tenant-b', { agent: 'researcher' });
    expect(otherTenant.analyzed).toEqual({ trajectories: 3, failed: 3, succeeded: 0 });
    expect(otherTenant.tool_errors.map((entry) => entry.error)).toEqual(['connection reset by peer']);
    const tenantBIds = new Set(tenantB.map((run) => run.id));
    for (const id of otherTenant.tool_errors[0]?.example_trajectory_ids ?? []) expect(tenantBIds.has(id)).toBe(true);

    const nobody = await failures('tenant-a', { agent: 'nobody' });
    expect(nobody).toMatchObject({ analyzed: { trajectories: 0 }, tool_errors: [], sequences: [] });
    expect(nobody.text).toMatch(/No trajectories matched/);
  });

  it('analyses only the most recent `sample` runs', async () => {
    const result = await failures('tenant-a', { agent: 'writer', sample: 2 });
    expect(result.analyzed.trajectories).toBe(2);
    expect(result.give_up_points[0]?.example_trajectory_ids).toEqual(
      tenantA
        .filter((run) => run.agent === 'writer')
        .slice(-2)
        .map((run) => run.id)
        .reverse(),
    );
  });
});

describe('recommendTools', () => {
  it('ranks a tool with a long good record above a 1-of-1 tool and above tools of failing runs', async () => {
    const result = await tools('tenant-a', { agent: 'researcher', limit: 100 });
    expect(result.scope).toBe('agent');
    expect(result.analyzed).toEqual({ trajectories: 23, succeeded: 13 });
    const byName = new Map(result.tools.map((record) => [record.name, record]));
    expect(result.tools[0]?.name).toBe('lookup');
    expect(byName.get('lookup')).toMatchObject({
      uses: 5,
      call_success_rate: 1,
      trajectories: 5,
      trajectory_success_rate: 1,
      typical_sequence: ['lookup', 'answer'],
    });
    expect(byName.get('lookup')!.score).toBeGreaterThan(byName.get('calculator')!.score);
    expect(byName.get('calculator')!.trajectory_success_rate).toBe(1);
    // 8 runs x 2 timeouts + the recovered run's one, out of 24 calls.
    expect(byName.get('fetch')).toMatchObject({
      uses: 24,
      trajectories: 15,
      typical_sequence: ['search', 'fetch', 'fetch'],
    });
    expect(byName.get('fetch')!.call_success_rate).toBeCloseTo(7 / 24);
    expect(byName.get('fetch')!.trajectory_success_rate).toBeCloseTo(7 / 15);
    expect(byName.get('lookup')!.score).toBeGreaterThan(byName.get('fetch')!.score);
    expect(byName.get('translate')!.score).toBe(0);
    const scores = result.tools.map((record) => record.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(result.text.split('\n')[1]).toMatch(/^1\. `lookup`: 5 calls in 5 runs, 100% of calls ok/);
    expect(result.text).toContain('`calculator`: 1 call in 1 run,');
  });

  it('for a task text, reads the most similar runs and says so', async () => {
    const result = await tools('tenant-a', { task: 'draft a blog post about gardening', sample: 4 });
    expect(result.scope).toBe('task');
    expect(result.text).toMatch(/^Tools ranked by record over 4 similar trajectories \(0 succeeded\):/);
    expect(result.analyzed).toEqual({ trajectories: 4, succeeded: 0 });
    expect(result.tools.map((record) => record.name).sort()).toEqual(['outline', 'publish']);

    const researchLike = await tools('tenant-a', { task: 'find the population of city number 3', sample: 10 });
    const names = researchLike.tools.map((record) => record.name);
    expect(names).not.toContain('publish');
    expect(names).not.toContain('outline');
    expect(researchLike.analyzed.trajectories).toBe(10);
  });

  it('re-ranks a small sample by embeddings and a large one by n-grams alone', async () => {
    // Lexically a researcher's task, but the embeddings put it next to the writer's gardening tasks.
    const paraphrase = { task: 'find the plants of garden number 3' };
    const ranked = await recommendTools(
      receiver.store.client,
      'tenant-a',
      toolsRequestSchema.parse({ ...paraphrase, sample: 4 }),
      { embeddings },
    );
    expect(ranked.tools.map((record) => record.name).sort()).toEqual(['outline', 'publish']);
    expect(embeddedInputs.length).toBeGreaterThan(0);
    const lexical = await tools('tenant-a', { ...paraphrase, sample: 4 });
    expect(lexical.tools.map((record) => record.name)).not.toContain('publish');

    embeddedInputs.length = 0;
    const large = await recommendTools(
      receiver.store.client,
      'tenant-a',
      toolsRequestSchema.parse({ ...paraphrase, sample: 101 }),
      { embeddings },
    );
    expect(large.analyzed.trajectories).toBe(27);
    expect(embeddedInputs).toEqual([]);
  });

  it('keeps to the tenant and the task id', async () => {
    const otherTenant = await tools('tenant-b', { task_id: 'population' });
    expect(otherTenant.scope).toBe('task_id');
    expect(otherTenant.tools.map((record) => [record.name, record.uses])).toEqual([
      ['search', 3],
      ['fetch', 3],
    ]);
    const blog = await tools('tenant-a', { task_id: 'blog', agent: 'researcher' });
    expect(blog.analyzed.trajectories).toBe(0);
    expect(blog.tools).toEqual([]);
  });
});
