/**
 * Annotations through PATCH /v1/trajectories/{id}: stored beside the spans, merged field by field, shown by the
 * trajectory API (the outcome override included), and usable as list and export filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { selectSummaries } from '../../src/exporters/run-export.ts';
import { storeTrajectorySource } from '../../src/exporters/trajectory-source.ts';
import { defaultTenant } from '../../src/model/tenant.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';
import { agentSpan, chat, clock, inside, message, rewardSpan, text } from './golden-traces.ts';

let receiver: Receiver;
const ids: Record<'good' | 'bad', string> = { good: '', bad: '' };

async function sendRun(label: string, reward: number, offsetSeconds: number): Promise<void> {
  const spans = await recordSpans((tracer) => {
    const time = clock(Date.now() - 600_000 + offsetSeconds * 1000);
    const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': 'grader-test', 'trajectory.task.id': label });
    const context = inside(agent);
    chat(tracer, time, context, 1, 2, [message('user', text(`do ${label}`))], [message('assistant', text('done'))]);
    rewardSpan(tracer, time, context, 3, reward);
    agent.end(time.at(4));
  });
  const exporter = createTraceExporter('http/protobuf', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
}

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${receiver.httpUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const listed = async (query: string) =>
  (await call('GET', `/v1/trajectories?${query}`)).body.trajectories.map((t: any) => t.task_id).sort();

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds: 1 });
  await sendRun('good', 1, 0);
  await sendRun('bad', 0, 10);
  await receiver.flush();
  for (const trajectory of (await call('GET', '/v1/trajectories')).body.trajectories)
    ids[trajectory.task_id as 'good' | 'bad'] = trajectory.id;
}, 60_000);

afterAll(async () => {
  await receiver?.close();
});

describe('PATCH /v1/trajectories/{id}', () => {
  it('stores tags, an outcome override and a note, shown by the API', async () => {
    const { status, body } = await call('PATCH', `/v1/trajectories/${ids.bad}`, {
      tags: ['billing', 'needs-review', 'billing'],
      outcome: 'success',
      note: 'the grader was wrong',
    });
    expect(status).toBe(200);
    expect(body.annotations).toMatchObject({
      tags: ['billing', 'needs-review'],
      outcome: 'success',
      human_reviewed: false,
      note: 'the grader was wrong',
    });
    const trajectory = (await call('GET', `/v1/trajectories/${ids.bad}`)).body;
    expect(trajectory.outcome).toBe('success');
    // The reward is what the agent's run said; only the outcome is overridden.
    expect(trajectory.final_reward).toBe(0);
    expect(trajectory.annotations.tags).toEqual(['billing', 'needs-review']);
    const row = (await call('GET', '/v1/trajectories?tag=billing')).body.trajectories[0];
    expect(row).toMatchObject({ id: ids.bad, outcome: 'success', annotations: { note: 'the grader was wrong' } });
    expect((await call('GET', `/v1/trajectories/${ids.good}`)).body.annotations).toBeNull();
  });

  it('filters the list by tag, reviewed and the overridden outcome', async () => {
    expect(await listed('outcome=success')).toEqual(['bad', 'good']);
    expect(await listed('outcome=failure')).toEqual([]);
    expect(await listed('tag=needs-review')).toEqual(['bad']);
    expect(await listed('human_reviewed=false')).toEqual(['bad', 'good']);
    expect(await listed('human_reviewed=true')).toEqual([]);
  });

  it('merges: a field left out keeps its value, null clears it', async () => {
    const reviewed = await call('PATCH', `/v1/trajectories/${ids.bad}`, { human_reviewed: true });
    expect(reviewed.body.annotations).toMatchObject({ tags: ['billing', 'needs-review'], human_reviewed: true });
    expect(await listed('human_reviewed=true')).toEqual(['bad']);
    const cleared = await call('PATCH', `/v1/trajectories/${ids.bad}`, { outcome: null, tags: null });
    expect(cleared.body.annotations).toMatchObject({ tags: [], outcome: null, human_reviewed: true });
    expect((await call('GET', `/v1/trajectories/${ids.bad}`)).body.outcome).toBe('failure');
    expect(await listed('outcome=failure')).toEqual(['bad']);
    const rows = await queryRows<{ n: string }>(receiver, 'SELECT count() AS n FROM trajectory_annotations FINAL');
    expect(rows.map((row) => Number(row.n))).toEqual([1]);
  });

  it('answers 400 naming the field, and 404 for an unknown trajectory', async () => {
    expect((await call('PATCH', `/v1/trajectories/${ids.good}`, {})).body.error).toMatch(/at least one/);
    expect((await call('PATCH', `/v1/trajectories/${ids.good}`, { outcome: 'great' })).body.error).toMatch(/^outcome:/);
    expect((await call('PATCH', `/v1/trajectories/${ids.good}`, { colour: 'red' })).body.error).toMatch(/colour/);
    expect((await call('PATCH', `/v1/trajectories/${ids.good}`, { tags: [''] })).status).toBe(400);
    expect((await call('PATCH', `/v1/trajectories/${'0'.repeat(31)}1`, { note: 'x' })).status).toBe(404);
    expect((await call('GET', `/v1/trajectories/${ids.good}`)).body.annotations).toBeNull();
  });

  it('selects what an export takes by tag and reviewed', async () => {
    await call('PATCH', `/v1/trajectories/${ids.good}`, { tags: ['golden'] });
    const source = storeTrajectorySource(receiver.store.client, defaultTenant, { quietSeconds: 1 });
    // Exports take complete trajectories: quiet for a second since their last span.
    const deadline = Date.now() + 10_000;
    while ((await selectSummaries(source, {})).length < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await selectSummaries(source, { tag: 'golden' })).map((summary) => summary.id)).toEqual([ids.good]);
    expect((await selectSummaries(source, { human_reviewed: true })).map((summary) => summary.id)).toEqual([ids.bad]);
  });
});
