import { describe, expect, it } from 'vitest';
import {
  assembleTrajectories,
  isComplete,
  toTrajectory,
  type AssembledTrajectory,
  type Clock,
} from '../../../src/trajectories/assemble-trajectory.ts';
import type { AssemblyInput, AssemblySpan, FeedbackRecord } from '../../../src/trajectories/assembly-input.ts';
import { airRuleValues } from '../../../src/trajectories/air-rewards.ts';
import { addToGroup, emptyGroup } from '../../../src/trajectories/credit.ts';
import { agent, assistant, at, llm, rewardSpan, span, tool, toolCall, traceId, user } from './assembly-builders.ts';

const of = (agentSpanId: string) => `${traceId}-${agentSpanId}`;
/** The builder's spans were ingested at 0 ms, so a minute later they are quiet. */
const quiet: Clock = { nowMillis: 60_000, quietSeconds: 60 };

function assemble(
  spans: AssemblySpan[],
  options: { feedback?: FeedbackRecord[]; clock?: Clock } = {},
): AssembledTrajectory[] {
  const input: AssemblyInput = {
    tenant: 'acme',
    spans,
    evaluations: [],
    feedback: options.feedback ?? [],
    stitches: new Map(),
    airRules: airRuleValues([
      { rule: 'tool_succeeded', reward: 0.5 },
      { rule: 'tool_unanswered', reward: -0.25 },
    ]),
  };
  return assembleTrajectories(input, options.clock ?? quiet);
}

const byId = (trajectories: AssembledTrajectory[], id: string) =>
  trajectories.find((trajectory) => trajectory.summary.id === id);

/** A planner with a nested coder, inside an HTTP span, with the episode reward beside the planner. */
const nestedRun = [
  span({ id: 'http', start: 0, end: 20 }),
  agent({
    id: 'planner',
    parent: 'http',
    start: 1,
    end: 12,
    agent_name: 'planner',
    task: 'plan it',
    // Usage summed on the agent span by a framework: token totals count LLM calls only.
    input_tokens: 100,
    output_tokens: 50,
  }),
  llm({
    id: 'plan',
    parent: 'planner',
    start: 2,
    end: 3,
    input: [user('plan it')],
    output: assistant(null, toolCall('call_a', 'lookup')),
    input_tokens: 10,
    output_tokens: 4,
  }),
  tool({ id: 'lookup', parent: 'planner', start: 3, end: 4, name: 'lookup', callId: 'call_a', result: 'A' }),
  agent({ id: 'coder', parent: 'planner', start: 5, end: 9, agent_name: 'coder', status: 'error' }),
  llm({
    id: 'code',
    parent: 'coder',
    start: 6,
    end: 7,
    input: [user('write code')],
    output: assistant('done'),
    input_tokens: 7,
    output_tokens: 3,
    status: 'error',
  }),
  rewardSpan({ id: 'score', parent: 'http', start: 15, end: 16, rewards: [{ name: 'task_success', value: 0.75 }] }),
];

describe('assembleTrajectories: summaries', () => {
  it("summarises the outer agent without its child's turns, tokens or errors", () => {
    const planner = byId(assemble(nestedRun), of('planner'));
    expect(planner?.summary).toEqual({
      id: of('planner'),
      tenant: 'acme',
      trace_id: traceId,
      root_span_id: 'planner',
      parent_trajectory_id: '',
      root_trajectory_id: of('planner'),
      agent_name: 'planner',
      agent_id: '',
      task: 'plan it',
      task_id: 'msg:34cce884e25b69d9',
      conversation_id: '',
      rollout_id: '',
      attempt_id: '',
      // The wrapping HTTP span and the reward span joined the planner, so they widen its time span.
      start_time_unix_nano: at(0).toString(),
      end_time_unix_nano: at(20).toString(),
      duration_ms: 20_000,
      turn_count: 1,
      tool_call_count: 1,
      error_count: 0,
      input_tokens: 10,
      output_tokens: 4,
      final_reward: 0.75,
      final_reward_source: 'span',
      outcome: 'success',
      complete: true,
    });
  });

  it('summarises the child agent with its own spans and the episode reward it inherits', () => {
    const coder = byId(assemble(nestedRun), of('coder'));
    expect(coder?.summary).toMatchObject({
      root_span_id: 'coder',
      parent_trajectory_id: of('planner'),
      root_trajectory_id: of('planner'),
      agent_name: 'coder',
      start_time_unix_nano: at(5).toString(),
      end_time_unix_nano: at(9).toString(),
      duration_ms: 4000,
      turn_count: 1,
      tool_call_count: 0,
      error_count: 2,
      input_tokens: 7,
      output_tokens: 3,
      final_reward: 0.75,
      final_reward_source: 'span',
      outcome: 'success',
    });
    expect(coder?.rewards).toEqual([]);
  });

  it('lists trajectories in start order', () => {
    expect(assemble(nestedRun).map((trajectory) => trajectory.summary.id)).toEqual([of('planner'), of('coder')]);
  });

  it('orders turns by start, then span id, whatever order the spans arrive in', () => {
    const spans = [
      agent({ id: 'solver' }),
      llm({ id: 'late', parent: 'solver', start: 5 }),
      llm({ id: 'tie-b', parent: 'solver', start: 2 }),
      llm({ id: 'tie-a', parent: 'solver', start: 2 }),
    ];
    expect(assemble(spans)[0]?.turns.map((turn) => turn.span_id)).toEqual(['tie-a', 'tie-b', 'late']);
  });

  it('takes the explicit task id first, then the first user message hash, then the task description hash', () => {
    const explicit = [
      agent({ id: 'solver', task_id: 'task-9', task: 'solve it' }),
      llm({ id: 'call', parent: 'solver', start: 1, input: [user('hello')] }),
    ];
    const fromMessage = [
      agent({ id: 'solver', task: 'solve it' }),
      llm({ id: 'call', parent: 'solver', start: 1, input: [user('hello')] }),
    ];
    const fromTask = [agent({ id: 'solver', task: 'solve it' })];
    expect(
      [explicit, fromMessage, fromTask, [agent({ id: 'solver' })]].map((spans) => assemble(spans)[0]?.summary.task_id),
    ).toEqual(['task-9', 'msg:2cf24dba5fb0a30e', 'task:6280924a055ccda4', '']);
  });

  it("prefers the root span's agent name over an earlier span's", () => {
    const spans = [
      agent({ id: 'solver', start: 2, agent_name: 'solver' }),
      span({ id: 'wrapper', start: 1, agent_name: 'framework' }),
    ];
    expect(assemble(spans)[0]?.summary.agent_name).toBe('solver');
  });

  it('marks a trajectory without reward failed when its root span failed', () => {
    expect(assemble([agent({ id: 'solver', status: 'error' })])[0]?.summary).toMatchObject({
      final_reward: null,
      final_reward_source: '',
      outcome: 'failure',
    });
    expect(assemble([agent({ id: 'solver' })])[0]?.summary.outcome).toBe('unknown');
  });

  it('makes feedback posted for the trajectory its final reward', () => {
    const feedback: FeedbackRecord[] = [
      { trace_id: traceId, trajectory_id: of('coder'), name: 'human', value: -1, comment: '', time: at(100) },
    ];
    expect(byId(assemble(nestedRun, { feedback }), of('coder'))?.summary).toMatchObject({
      final_reward: -1,
      final_reward_source: 'feedback',
      outcome: 'failure',
    });
  });
});

describe('assembleTrajectories: completeness', () => {
  it('keeps a trajectory incomplete until no span arrived for the quiet period', () => {
    const spans = [agent({ id: 'solver' }), llm({ id: 'call', parent: 'solver', start: 1, ingested_ms: 30_000 })];
    expect(assemble(spans)[0]?.summary.complete).toBe(false);
    expect(assemble(spans, { clock: { nowMillis: 90_000, quietSeconds: 60 } })[0]?.summary.complete).toBe(true);
  });

  it('keeps the whole-trace trajectory of spans whose agent span is missing incomplete, however quiet', () => {
    const [orphans] = assemble([llm({ id: 'call', parent: 'solver', start: 1 })], {
      clock: { nowMillis: 10_000_000, quietSeconds: 60 },
    });
    expect(orphans?.summary).toMatchObject({ id: traceId, root_span_id: '', complete: false });
    expect(orphans?.has_root).toBe(false);
  });

  it('counts as complete exactly when the last span arrived the quiet period ago', () => {
    expect(isComplete(true, 1000, { nowMillis: 61_000, quietSeconds: 60 })).toBe(true);
    expect(isComplete(true, 1001, { nowMillis: 61_000, quietSeconds: 60 })).toBe(false);
    expect(isComplete(false, 0, { nowMillis: 61_000, quietSeconds: 60 })).toBe(false);
  });
});

describe('toTrajectory', () => {
  it('serves turns without the internal fields, rewards with decimal times, and credit over the given group', () => {
    const planner = byId(assemble(nestedRun), of('planner'))!;
    const served = toTrajectory(planner, [0.25, 1.25].reduce(addToGroup, emptyGroup), 0.5);
    expect(Object.keys(served.turns[0]!)).not.toContain('first_user_hash');
    expect(Object.keys(served.turns[0]!)).not.toContain('tool_definitions');
    expect(served.rewards).toEqual([
      {
        name: 'task_success',
        value: 0.75,
        source: 'span',
        comment: '',
        span_id: 'score',
        time_unix_nano: at(16).toString(),
      },
    ]);
    // One turn, AIR +0.5 for the answered lookup; group mean 0.75, std 0.5.
    expect(served.credit).toEqual([
      {
        turn_index: 0,
        span_id: 'plan',
        identical: 0.75,
        discounted: 0.75,
        air_shaped: 1.25,
        advantage: 0,
        group_size: 2,
        group_mean: 0.75,
        group_std: 0.5,
      },
    ]);
  });

  it('gives an incomplete trajectory returns but no advantage', () => {
    const planner = byId(assemble(nestedRun, { clock: { nowMillis: 59_999, quietSeconds: 60 } }), of('planner'))!;
    expect(toTrajectory(planner, emptyGroup, 0.5).credit[0]).toMatchObject({ identical: 0.75, advantage: null });
  });
});
