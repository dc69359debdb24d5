import { describe, expect, it } from 'vitest';
import type { AssemblySpan } from '../../../src/trajectories/assembly-input.ts';
import { agentLightningTrajectoryId, assignTraceSpans, byStart } from '../../../src/trajectories/assign-spans.ts';
import { agent, llm, rewardSpan, span, tool, traceId } from './assembly-builders.ts';

/** Trajectory id of every span, by span id. */
function trajectoryIds(spans: AssemblySpan[]): Record<string, string> {
  const { spans: assigned } = assignTraceSpans(traceId, spans);
  return Object.fromEntries([...assigned].map(([spanId, assignment]) => [spanId, assignment.trajectory_id]));
}

const of = (agentSpanId: string) => `${traceId}-${agentSpanId}`;

describe('assignTraceSpans: which trajectory a span belongs to', () => {
  it('makes a trace without agent spans one whole-trace trajectory with the trace id', () => {
    const assignment = assignTraceSpans(traceId, [span({ id: 'root' }), llm({ id: 'call', parent: 'root' })]);
    expect(assignment.spans.get('call')).toEqual({
      trajectory_id: traceId,
      parent_trajectory_id: '',
      root_trajectory_id: traceId,
      agent_span_id: '',
    });
    expect(assignment.default_trajectory_id).toBe(traceId);
  });

  it('puts an agent span and its descendants in the trajectory <trace>-<agent>', () => {
    const spans = [
      agent({ id: 'solver' }),
      llm({ id: 'call', parent: 'solver' }),
      tool({ id: 'run', parent: 'call', name: 'run' }),
    ];
    expect(trajectoryIds(spans)).toEqual({ solver: of('solver'), call: of('solver'), run: of('solver') });
    expect(assignTraceSpans(traceId, spans).spans.get('run')).toEqual({
      trajectory_id: of('solver'),
      parent_trajectory_id: '',
      root_trajectory_id: of('solver'),
      agent_span_id: 'solver',
    });
  });

  it('makes a nested agent a child trajectory whose parent is the enclosing agent and whose root is the outermost', () => {
    const spans = [
      agent({ id: 'planner' }),
      agent({ id: 'coder', parent: 'planner', start: 1 }),
      agent({ id: 'linter', parent: 'coder', start: 2 }),
      llm({ id: 'lint-call', parent: 'linter', start: 3 }),
      llm({ id: 'plan-call', parent: 'planner', start: 4 }),
    ];
    const { spans: assigned } = assignTraceSpans(traceId, spans);
    expect(assigned.get('lint-call')).toEqual({
      trajectory_id: of('linter'),
      parent_trajectory_id: of('coder'),
      root_trajectory_id: of('planner'),
      agent_span_id: 'linter',
    });
    expect(assigned.get('coder')).toEqual({
      trajectory_id: of('coder'),
      parent_trajectory_id: of('planner'),
      root_trajectory_id: of('planner'),
      agent_span_id: 'coder',
    });
    expect(assigned.get('plan-call')?.trajectory_id).toBe(of('planner'));
  });

  it('lets a wrapping span and a reward span beside the agent join the first outermost agent', () => {
    const spans = [
      span({ id: 'http' }),
      agent({ id: 'solver', parent: 'http', start: 1 }),
      rewardSpan({ id: 'reward', parent: 'http', start: 9, rewards: [{ name: 'task_success', value: 1 }] }),
    ];
    const { spans: assigned, default_trajectory_id } = assignTraceSpans(traceId, spans);
    expect(assigned.get('http')).toEqual({
      trajectory_id: of('solver'),
      parent_trajectory_id: '',
      root_trajectory_id: of('solver'),
      agent_span_id: 'solver',
    });
    expect(assigned.get('reward')?.trajectory_id).toBe(of('solver'));
    expect(default_trajectory_id).toBe(of('solver'));
  });

  it('keeps two outermost agents apart and gives the spans outside both to the one that started first', () => {
    const spans = [
      span({ id: 'http' }),
      agent({ id: 'second', parent: 'http', start: 5 }),
      agent({ id: 'first', parent: 'http', start: 1 }),
      llm({ id: 'second-call', parent: 'second', start: 6 }),
    ];
    expect(trajectoryIds(spans)).toEqual({
      http: of('first'),
      first: of('first'),
      second: of('second'),
      'second-call': of('second'),
    });
  });

  it('breaks a tie between outermost agents that started together by the smaller span id', () => {
    const spans = [
      span({ id: 'http' }),
      agent({ id: 'bb', parent: 'http', start: 1 }),
      agent({ id: 'aa', parent: 'http', start: 1 }),
    ];
    expect(trajectoryIds(spans)['http']).toBe(of('aa'));
  });

  it('shows children whose agent span has not arrived as the whole-trace trajectory', () => {
    const spans = [
      llm({ id: 'call', parent: 'solver', start: 1 }),
      tool({ id: 'run', parent: 'call', start: 2, name: 'run' }),
    ];
    expect(trajectoryIds(spans)).toEqual({ call: traceId, run: traceId });
  });

  it('re-assigns those children to the agent once the agent span is stored', () => {
    const spans = [llm({ id: 'call', parent: 'solver', start: 1 }), agent({ id: 'solver' })];
    expect(trajectoryIds(spans)).toEqual({ call: of('solver'), solver: of('solver') });
  });

  it('stops the walk at a missing parent, so a span under a missing span joins the first outermost agent, not its own agent', () => {
    const spans = [
      agent({ id: 'planner' }),
      agent({ id: 'coder', parent: 'planner', start: 1 }),
      // 'step' (the child of coder) has not arrived yet.
      llm({ id: 'orphan', parent: 'step', start: 2 }),
    ];
    expect(trajectoryIds(spans)['orphan']).toBe(of('planner'));
  });

  it('ends the walk at a parent cycle: the spans of a cycle through an agent join that agent', () => {
    const spans = [agent({ id: 'solver', parent: 'call' }), llm({ id: 'call', parent: 'solver', start: 1 })];
    expect(assignTraceSpans(traceId, spans).spans.get('call')).toEqual({
      trajectory_id: of('solver'),
      parent_trajectory_id: '',
      root_trajectory_id: of('solver'),
      agent_span_id: 'solver',
    });
  });

  it('treats a span that is its own parent as having no parent', () => {
    expect(trajectoryIds([span({ id: 'loop', parent: 'loop' })])).toEqual({ loop: traceId });
  });

  it('walks at most 64 levels up: an agent 64 levels up is found, one 65 levels up is not', () => {
    const chain: AssemblySpan[] = [agent({ id: 'outer' }), agent({ id: 'inner', parent: 'outer' })];
    for (let depth = 1; depth <= 65; depth++)
      chain.push(span({ id: `level-${depth}`, parent: depth === 1 ? 'inner' : `level-${depth - 1}` }));
    const ids = trajectoryIds(chain);
    expect(ids['level-64']).toBe(of('inner'));
    // The walk gives up before it reaches `inner`, so the span counts as outside every agent.
    expect(ids['level-65']).toBe(of('outer'));
  });
});

describe('assignTraceSpans: Agent Lightning rollouts', () => {
  it('makes every span of a trace that carries a rollout id one al-<rollout>.<attempt> trajectory, whatever the structure', () => {
    const spans = [
      agent({ id: 'solver' }),
      llm({ id: 'call', parent: 'solver', start: 1, rollout_id: 'ro-1', attempt_id: 'at-2' }),
      agent({ id: 'helper', parent: 'solver', start: 2 }),
    ];
    const { spans: assigned, default_trajectory_id } = assignTraceSpans(traceId, spans);
    for (const id of ['solver', 'call', 'helper']) {
      expect(assigned.get(id), id).toEqual({
        trajectory_id: 'al-ro-1.at-2',
        parent_trajectory_id: '',
        root_trajectory_id: 'al-ro-1.at-2',
        agent_span_id: '',
      });
    }
    expect(default_trajectory_id).toBe('al-ro-1.at-2');
  });

  it('gives a span with its own rollout id its own attempt id, not the trace maximum', () => {
    const spans = [
      span({ id: 'first', rollout_id: 'ro-2', attempt_id: 'at-1' }),
      span({ id: 'second', start: 1, rollout_id: 'ro-1' }),
    ];
    expect(trajectoryIds(spans)).toEqual({ first: 'al-ro-2.at-1', second: 'al-ro-1' });
  });

  it('takes the trace rollout and attempt ids as separate maxima for the spans that carry none', () => {
    const spans = [
      span({ id: 'a', rollout_id: 'ro-1', attempt_id: 'at-9' }),
      span({ id: 'b', rollout_id: 'ro-2', attempt_id: 'at-1' }),
      span({ id: 'plain' }),
    ];
    expect(trajectoryIds(spans)['plain']).toBe('al-ro-2.at-9');
  });

  it('percent-encodes both id parts and escapes their dots, so the one bare dot separates rollout from attempt', () => {
    expect(agentLightningTrajectoryId('ro.1', 'a/b c!')).toBe('al-ro%2E1.a%2Fb%20c%21');
    expect(agentLightningTrajectoryId('ro_1~x', '')).toBe('al-ro_1~x');
  });
});

describe('byStart', () => {
  it('orders spans by start time, then by span id', () => {
    const spans = [span({ id: 'c', start: 2 }), span({ id: 'b', start: 1 }), span({ id: 'a', start: 2 })];
    expect([...spans].sort(byStart).map((item) => item.span_id)).toEqual(['b', 'a', 'c']);
  });
});
