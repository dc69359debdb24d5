/**
 * The context-learning HTTP routes against a real receiver with stored trajectories of two tenants: answers in
 * the contract's shapes, 400 naming the field, 401 without a token, 413 for a huge predict body, and nothing of
 * another tenant's history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  examplesResponseSchema,
  failuresResponseSchema,
  maxTaskTextLength,
  predictResponseSchema,
  searchResponseSchema,
  toolsResponseSchema,
} from '../../src/context/context-api.ts';
import { startContextFixture, teamARuns, tokenA, tokenB, type ContextFixture } from './context-fixture.ts';

let fixture: ContextFixture;
const berlin = teamARuns[0]!.task;
const rome = teamARuns[1]!.task;

beforeAll(async () => {
  fixture = await startContextFixture();
}, 120_000);

afterAll(async () => {
  await fixture?.receiver.close();
});

function get(path: string, token: string | null = tokenA): Promise<Response> {
  return fetch(`${fixture.receiver.httpUrl}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

function postPredict(body: string, token: string | null = tokenA): Promise<Response> {
  return fetch(`${fixture.receiver.httpUrl}/v1/context/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
}

async function errorOf(response: Response, status: number): Promise<string> {
  expect(response.status).toBe(status);
  return ((await response.json()) as { error: string }).error;
}

const predictBody = {
  messages: [{ role: 'user', content: 'Book a flight from Paris to Berlin next Monday' }],
  action: { type: 'tool_call', name: 'search_flights' },
};

describe('GET /v1/context/search', () => {
  it('finds the tenant’s successful similar trajectories with their ids', async () => {
    const response = await get(`/v1/context/search?q=${encodeURIComponent('book a flight from Paris to Berlin')}`);
    expect(response.status).toBe(200);
    const body = searchResponseSchema.parse(await response.json());
    expect(body.retrieval).toBe('ngram');
    const ids = body.trajectories.map((hit) => hit.trajectory_id);
    expect(ids[0]).toBe(fixture.idOf(berlin));
    // The failed Rome booking and team-b's Madrid flight are similar, but neither is a successful example of team-a.
    expect(ids).not.toContain(fixture.idOf(rome));
    expect(ids).not.toContain(fixture.teamB[0]!.id);
    expect(body.trajectories[0]).toMatchObject({ agent_name: 'planner', outcome: 'success', final_reward: 1 });
  });

  it('narrows by agent and task id', async () => {
    const writer = searchResponseSchema.parse(
      await (await get(`/v1/context/search?q=${encodeURIComponent('book a flight')}&agent=writer`)).json(),
    );
    expect(writer.trajectories.every((hit) => hit.agent_name === 'writer')).toBe(true);
    const byTask = searchResponseSchema.parse(
      await (await get(`/v1/context/search?q=${encodeURIComponent('book a train')}&task_id=book-flight`)).json(),
    );
    expect(byTask.trajectories.map((hit) => hit.trajectory_id)).toEqual([fixture.idOf(berlin)]);
  });

  it('answers another tenant only from its own history', async () => {
    const response = await get(`/v1/context/search?q=${encodeURIComponent('book a flight from Paris')}`, tokenB);
    const body = searchResponseSchema.parse(await response.json());
    expect(body.trajectories.map((hit) => hit.trajectory_id)).toEqual([fixture.teamB[0]!.id]);
  });
});

describe('GET /v1/context/examples', () => {
  it('renders the similar successful trajectories for a prompt and as few-shot messages', async () => {
    const response = await get(`/v1/context/examples?task=${encodeURIComponent('Book a flight from Paris to Berlin')}`);
    expect(response.status).toBe(200);
    const body = examplesResponseSchema.parse(await response.json());
    expect(body.examples[0]!.trajectory_id).toBe(fixture.idOf(berlin));
    expect(body.examples.map((example) => example.trajectory_id)).not.toContain(fixture.idOf(rome));
    expect(body.prompt).toContain('book_flight');
    expect(body.tokens).toBeLessThanOrEqual(body.max_tokens);
    expect(body.messages.length).toBeGreaterThanOrEqual(2);
  });
});

describe('GET /v1/context/failures', () => {
  it('names the failing tool and its error with the failed trajectory', async () => {
    const response = await get('/v1/context/failures?agent=planner');
    expect(response.status).toBe(200);
    const body = failuresResponseSchema.parse(await response.json());
    expect(body.analyzed.trajectories).toBe(3);
    const bookingError = body.tool_errors.find((pattern) => pattern.tool === 'book_flight');
    expect(bookingError?.example_trajectory_ids).toEqual([fixture.idOf(rome)]);
    expect(body.text).toContain('book_flight');
  });
});

describe('GET /v1/context/tools', () => {
  it('ranks the agent’s tools by their record', async () => {
    const response = await get('/v1/context/tools?agent=planner');
    expect(response.status).toBe(200);
    const body = toolsResponseSchema.parse(await response.json());
    expect(body.scope).toBe('agent');
    expect(body.tools.map((record) => record.name).sort()).toEqual(
      ['book_flight', 'book_train', 'search_flights', 'search_trains'].sort(),
    );
    expect(body.tools.find((record) => record.name === 'book_flight')?.call_success_rate).toBe(0.5);
  });
});

describe('POST /v1/context/predict', () => {
  it('estimates the outcome of a candidate action from similar decision points', async () => {
    const response = await postPredict(JSON.stringify({ ...predictBody, agent: 'planner' }));
    expect(response.status).toBe(200);
    const body = predictResponseSchema.parse(await response.json());
    expect(body.prediction.action).toBe('search_flights');
    expect(body.prediction.support).toBeGreaterThan(0);
    expect(body.prediction.supporting_trajectory_ids).not.toContain(fixture.teamB[0]!.id);
  });

  it('answers 413 to a body over 1 MiB without reading it whole', async () => {
    const huge = JSON.stringify({ ...predictBody, padding: 'x'.repeat(2 * 1024 * 1024) });
    expect(await errorOf(await postPredict(huge), 413)).toMatch(/over the 1048576-byte limit/);
  });

  it('answers 400 naming the problem for a body that is not JSON or not a request', async () => {
    expect(await errorOf(await postPredict('{"messages": ['), 400)).toBe('body: not valid JSON');
    expect(await errorOf(await postPredict(JSON.stringify({ action: predictBody.action })), 400)).toMatch(
      /^messages: /,
    );
    const unknownAction = { ...predictBody, action: { type: 'teleport' } };
    expect(await errorOf(await postPredict(JSON.stringify(unknownAction)), 400)).toMatch(/^action\.type: /);
  });

  it('takes only POST', async () => {
    expect((await get('/v1/context/predict')).status).toBe(405);
  });
});

describe('bad requests', () => {
  it.each([
    ['/v1/context/examples?task=flight&limit=abc', /^limit: /],
    ['/v1/context/examples?task=flight&limit=500', /^limit: /],
    ['/v1/context/examples?task=flight&limit=1e1', /^limit: must be a whole number$/],
    ['/v1/context/examples?task=flight&limit=0x3', /^limit: must be a whole number$/],
    ['/v1/context/examples?task=flight&limit=2.5', /^limit: must be a whole number$/],
    ['/v1/context/examples?limit=3', /^task: /],
    ['/v1/context/examples?task=flight&colour=red', /^unknown parameter "colour"$/],
    ['/v1/context/examples?task=flight&task=train', /^task: given more than once$/],
    ['/v1/context/search?q=flight&min_reward=high', /^min_reward: /],
    ['/v1/context/failures?limit=3', /^agent: give at least one of agent, task_id or task$/],
    ['/v1/context/failures?agent=planner&sample=5001', /^sample: /],
    ['/v1/context/tools?sample=10', /^task: give at least one of task, agent or task_id$/],
  ])('%s answers 400 naming the field', async (path, message) => {
    expect(await errorOf(await get(path), 400)).toMatch(message);
  });

  it('refuses a task text longer than a task', async () => {
    const task = 'a'.repeat(maxTaskTextLength + 1);
    expect(await errorOf(await get(`/v1/context/examples?task=${task}`), 400)).toMatch(/^task: /);
    expect(await errorOf(await get(`/v1/context/search?q=${task}`), 400)).toMatch(/^q: /);
  });

  it('takes a task of the longest accepted length in a non-Latin script (18 KB percent-encoded)', async () => {
    const task = encodeURIComponent('航'.repeat(maxTaskTextLength));
    const response = await get(`/v1/context/examples?task=${task}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { examples: unknown[] }).examples).toEqual([]);
    expect(await errorOf(await get(`/v1/context/examples?task=${task}${encodeURIComponent('航')}`), 400)).toMatch(
      /^task: /,
    );
  });

  it('answers 401 without a bearer token on every route', async () => {
    for (const path of [
      '/v1/context/search?q=flight',
      '/v1/context/examples?task=flight',
      '/v1/context/failures?agent=planner',
      '/v1/context/tools?agent=planner',
    ])
      expect((await get(path, null)).status).toBe(401);
    expect((await postPredict(JSON.stringify(predictBody), null)).status).toBe(401);
  });
});
