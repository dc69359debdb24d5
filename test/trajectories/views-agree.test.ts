/**
 * The API assembles trajectories in TypeScript; users query the SQL views. For golden traces covering every rule
 * (id pairing, positional pairing, unanswered calls, failed calls, nested agents, spans outside agents, reward
 * inheritance, evaluation span events and log records, feedback, whole-trace trajectories, GRPO groups) both
 * must return the same trajectories, turns, rewards and credit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { getTrajectory } from '../../src/trajectories/read-trajectories.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import { expectAgree, fromViewsMany, loadGoldenTraces, type GoldenContext } from './views-and-api.ts';

let receiver: Receiver;
let context: GoldenContext;
const settings = { quietSeconds: 1, gamma: 0.9, stitchWindowSeconds: 1 };

beforeAll(async () => {
  receiver = await startTestReceiver(settings);
  context = { receiver, settings, base: Date.now() - 1_800_000, traceIds: [] };
});
afterAll(async () => {
  await receiver?.close();
});

describe('the SQL views and the TypeScript assembly agree', () => {
  let ids: string[] = [];

  beforeAll(async () => {
    ids = await loadGoldenTraces(context);
  });

  it('finds the same trajectories (6 traces: 3 golden, nested outer + child, tool messages only, whole trace)', async () => {
    expect(ids).toHaveLength(7);
    const listed = (await fetch(`${receiver.httpUrl}/v1/trajectories?limit=100`).then((result) => result.json())) as {
      trajectories: Array<{ id: string }>;
    };
    expect(listed.trajectories.map((summary) => summary.id).sort()).toEqual(ids);
  });

  it('returns the same summary, turns, rewards and credit for every trajectory', async () => {
    const views = await fromViewsMany(context, ids);
    for (const id of ids) {
      expect(views.has(id), id).toBe(true);
      const actual = await getTrajectory(receiver.store.client, 'default', id, settings);
      expect(actual, id).toBeDefined();
      const { tools: _tools, ...comparable } = views.get(id)!;
      expectAgree(actual, comparable, id);
    }
  }, 180_000);

  it('lists the same summaries the trajectories view computes', async () => {
    const listed = (await fetch(`${receiver.httpUrl}/v1/trajectories?limit=100`).then((result) => result.json())) as {
      trajectories: Array<Record<string, unknown>>;
    };
    const views = await fromViewsMany(
      context,
      listed.trajectories.map((summary) => String(summary['id'])),
    );
    expect(listed.trajectories).toHaveLength(7);
    for (const summary of listed.trajectories) {
      const id = String(summary['id']);
      expect(views.has(id), id).toBe(true);
      const { turns: _turns, rewards: _rewards, credit: _credit, tools: _tools, ...expected } = views.get(id)!;
      expectAgree(summary, expected, id);
    }
  }, 180_000);

  it('covers the rules it claims to (inheritance, evaluation records, feedback, positional pairing)', async () => {
    const all = await Promise.all(ids.map((id) => getTrajectory(receiver.store.client, 'default', id, settings)));
    const child = all.find((trajectory) => trajectory?.agent_name === 'coder')!;
    expect(child).toMatchObject({ final_reward: -1, outcome: 'failure' });
    expect(child.parent_trajectory_id).not.toBe('');
    expect(child.rewards.map((reward) => reward.source)).toEqual(['evaluation']);
    const plain = all.find((trajectory) => trajectory?.id.length === 32)!;
    expect(plain).toMatchObject({ final_reward: 0.7, turn_count: 2 });
    expect(plain.turns[0]!.tool_calls).toEqual([
      expect.objectContaining({ name: 'greet', result: 'hi', status: 'ok' }),
    ]);
    expect(all.filter((trajectory) => trajectory?.final_reward === 0.1)).toHaveLength(1);
    const golden = all.find((trajectory) => trajectory?.final_reward === 0.1)!;
    expect(golden.turns[3]!.tool_calls.map((execution) => execution.name)).toEqual(['finish', 'cleanup']);
    expect(golden.credit[0]!.advantage).not.toBe(0);
    const selfServe = all.find((trajectory) => trajectory?.agent_name === 'self-serve')!;
    expect(selfServe.turns[0]!.tool_calls).toEqual([
      expect.objectContaining({
        call_id: 'call_m1',
        result: 'M1',
        status: 'unknown',
        result_source: 'message',
        air_rule: 'tool_answered_status_unknown',
      }),
      expect.objectContaining({
        call_id: '',
        name: 'note',
        result: 'noted',
        status: 'unknown',
        result_source: 'message',
      }),
      expect.objectContaining({
        call_id: 'call_m3',
        result: 'boom',
        status: 'error',
        result_source: 'message',
        air_rule: 'tool_failed',
      }),
      expect.objectContaining({
        call_id: 'call_m4',
        result: null,
        status: 'missing',
        result_source: 'none',
        air_rule: 'tool_unanswered',
      }),
    ]);
  });
});
