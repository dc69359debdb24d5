import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import type { Trajectory, TrajectorySummary } from '../../src/model/trajectory.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import { agentSpan, chat, clock, inside, message, rewardSpan, text } from './golden-traces.ts';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

let receiver: Receiver;
const quietSeconds = 1;
const base = Date.now() - 7_200_000;

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds, authTokens: 'token-aaaaaaaa=tenant-a,token-bbbbbbbb=tenant-b' });
});
afterAll(async () => {
  await receiver?.close();
});

async function send(spans: ReadableSpan[], token = 'token-aaaaaaaa'): Promise<void> {
  const exporter = createTraceExporter('http/json', { ...receiver, headers: { authorization: `Bearer ${token}` } });
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
}

async function getJson<T>(path: string, token = 'token-aaaaaaaa', status = 200): Promise<T> {
  const result = await fetch(`${receiver.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(result.status, path).toBe(status);
  return (await result.json()) as T;
}

const waitQuiet = () => new Promise((resolve) => setTimeout(resolve, quietSeconds * 1000 + 300));

/** An agent with two chats and a reward; returns the spans split so tests can deliver them out of order. */
async function run(label: string) {
  const spans = await recordSpans((tracer) => {
    const time = clock(base);
    const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': label, 'trajectory.task.id': `task-${label}` });
    chat(
      tracer,
      time,
      inside(agent),
      1,
      2,
      [message('user', text(`hello ${label}`))],
      [message('assistant', text('hi'))],
    );
    chat(
      tracer,
      time,
      inside(agent),
      3,
      4,
      [message('user', text(`hello ${label}`)), message('assistant', text('hi')), message('user', text('bye'))],
      [message('assistant', text('bye'))],
    );
    rewardSpan(tracer, time, inside(agent), 5, 1);
    agent.end(time.at(6));
  });
  const agent = spans.find((span) => span.name.startsWith('invoke_agent'))!;
  return {
    agent,
    children: spans.filter((span) => span !== agent),
    traceId: agent.spanContext().traceId,
    id: `${agent.spanContext().traceId}-${agent.spanContext().spanId}`,
  };
}

describe('late and out-of-order spans', () => {
  it('assembles a trajectory whose children arrived before their parent agent span', async () => {
    const { agent, children, traceId, id } = await run('children-first');
    await send(children);
    await waitQuiet();
    // Without the agent span the trace is one whole-trace trajectory, and it is not complete: its root is missing.
    const early = await getJson<{ trajectories: TrajectorySummary[] }>(`/v1/trajectories?trace_id=${traceId}`);
    expect(early.trajectories).toEqual([expect.objectContaining({ id: traceId, turn_count: 2, complete: false })]);
    await getJson(`/v1/trajectories/${id}`, 'token-aaaaaaaa', 404);

    await send([agent]);
    const late = await getJson<Trajectory>(`/v1/trajectories/${id}`);
    expect(late).toMatchObject({
      id,
      agent_name: 'children-first',
      turn_count: 2,
      final_reward: 1,
      outcome: 'success',
      complete: false,
    });
    expect(late.turns[1]!.new_messages).toEqual([{ role: 'user', content: 'bye' }]);
    await waitQuiet();
    expect(await getJson<Trajectory>(`/v1/trajectories/${id}`)).toMatchObject({ complete: true });
  });

  it('keeps a trajectory with a missing root incomplete', async () => {
    const { children, traceId } = await run('no-root');
    await send(children);
    await waitQuiet();
    const summary = await getJson<Trajectory>(`/v1/trajectories/${traceId}`);
    expect(summary).toMatchObject({ complete: false, turn_count: 2, root_span_id: '' });
    const complete = await getJson<{ trajectories: TrajectorySummary[] }>(
      `/v1/trajectories?trace_id=${traceId}&complete=true`,
    );
    expect(complete.trajectories).toEqual([]);
  });

  it('makes a complete trajectory incomplete again when a late span arrives', async () => {
    const { agent, children, id } = await run('late-span');
    const [first, ...rest] = children;
    await send([agent, ...rest]);
    await waitQuiet();
    expect(await getJson<Trajectory>(`/v1/trajectories/${id}`)).toMatchObject({ complete: true, turn_count: 1 });
    await send([first!]);
    expect(await getJson<Trajectory>(`/v1/trajectories/${id}`)).toMatchObject({ complete: false, turn_count: 2 });
  });

  it('counts a span delivered twice once', async () => {
    const { agent, children, id } = await run('retried');
    await send([agent, ...children]);
    await send([agent, ...children]);
    const trajectory = await getJson<Trajectory>(`/v1/trajectories/${id}`);
    expect(trajectory).toMatchObject({ turn_count: 2, input_tokens: 20, output_tokens: 10 });
    expect(trajectory.rewards).toHaveLength(1);
  });

  it('never shows one tenant the trajectories of another', async () => {
    const { agent, children, id, traceId } = await run('tenant-b-only');
    await send([agent, ...children], 'token-bbbbbbbb');
    expect(await getJson<Trajectory>(`/v1/trajectories/${id}`, 'token-bbbbbbbb')).toMatchObject({ tenant: 'tenant-b' });
    await getJson(`/v1/trajectories/${id}`, 'token-aaaaaaaa', 404);
    expect(
      (await getJson<{ trajectories: TrajectorySummary[] }>(`/v1/trajectories?trace_id=${traceId}`, 'token-aaaaaaaa'))
        .trajectories,
    ).toEqual([]);
    const post = await fetch(`${receiver.httpUrl}/v1/trajectories/${id}/rewards`, {
      method: 'POST',
      headers: { authorization: 'Bearer token-aaaaaaaa', 'Content-Type': 'application/json' },
      body: JSON.stringify({ value: 1 }),
    });
    expect(post.status).toBe(404);
  });
});
