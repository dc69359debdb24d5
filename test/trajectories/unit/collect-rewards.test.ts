import { describe, expect, it } from 'vitest';
import type { AssemblySpan, EvaluationRecord, FeedbackRecord } from '../../../src/trajectories/assembly-input.ts';
import { assignTraceSpans, type TraceAssignment } from '../../../src/trajectories/assign-spans.ts';
import { collectRewards, compareRewards } from '../../../src/trajectories/collect-rewards.ts';
import { agent, at, llm, reward, rewardSpan, span, traceId, otherTraceId } from './assembly-builders.ts';

const of = (agentSpanId: string) => `${traceId}-${agentSpanId}`;

function assignmentsOf(spans: AssemblySpan[]): Map<string, TraceAssignment> {
  return new Map([[traceId, assignTraceSpans(traceId, spans)]]);
}

function collect(spans: AssemblySpan[], evaluations: EvaluationRecord[] = [], feedback: FeedbackRecord[] = []) {
  return collectRewards(spans, assignmentsOf(spans), evaluations, feedback);
}

const evaluationEvent = (attributes: Record<string, unknown>, time?: string) => ({
  name: 'gen_ai.evaluation.result',
  ...(time !== undefined ? { time_unix_nano: time } : {}),
  attributes,
});

/** A planner agent with a nested coder agent, the shape most reward rules are about. */
const nested = [
  agent({ id: 'planner' }),
  agent({ id: 'coder', parent: 'planner', start: 1 }),
  llm({ id: 'code', parent: 'coder', start: 2 }),
];

describe('collectRewards: reward spans', () => {
  it("turns each value of a reward span into a span reward at the span's end, numbered by dimension", () => {
    const spans = [
      agent({ id: 'solver' }),
      rewardSpan({
        id: 'score',
        parent: 'solver',
        start: 8,
        end: 9,
        rewards: [
          { name: 'task_success', value: 0.8 },
          { name: 'style', value: 0.5 },
        ],
      }),
    ];
    expect(collect(spans)).toEqual([
      {
        trajectory_id: of('solver'),
        root_trajectory_id: of('solver'),
        name: 'task_success',
        value: 0.8,
        source: 'span',
        comment: '',
        span_id: 'score',
        time: at(9),
        dimension: 0,
      },
      {
        trajectory_id: of('solver'),
        root_trajectory_id: of('solver'),
        name: 'style',
        value: 0.5,
        source: 'span',
        comment: '',
        span_id: 'score',
        time: at(9),
        dimension: 1,
      },
    ]);
  });

  it('gives a reward span emitted beside the agent (outside its subtree) to the first outermost agent', () => {
    const spans = [
      span({ id: 'http' }),
      agent({ id: 'solver', parent: 'http', start: 1 }),
      rewardSpan({ id: 'score', parent: 'http', start: 10, rewards: [{ name: 'task_success', value: -1 }] }),
    ];
    expect(
      collect(spans).map(({ trajectory_id, root_trajectory_id, value }) => ({
        trajectory_id,
        root_trajectory_id,
        value,
      })),
    ).toEqual([{ trajectory_id: of('solver'), root_trajectory_id: of('solver'), value: -1 }]);
  });

  it('records a reward span inside a child agent under the child, with the outermost agent as its root', () => {
    const spans = [
      ...nested,
      rewardSpan({ id: 'score', parent: 'coder', start: 3, rewards: [{ name: 'tests', value: 1 }] }),
    ];
    expect(
      collect(spans).map(({ trajectory_id, root_trajectory_id }) => ({ trajectory_id, root_trajectory_id })),
    ).toEqual([{ trajectory_id: of('coder'), root_trajectory_id: of('planner') }]);
  });

  it('ignores reward values on a span that is not a reward span', () => {
    expect(collect([llm({ id: 'call', rewards: [{ name: 'task_success', value: 1 }] })])).toEqual([]);
  });
});

describe('collectRewards: evaluation results', () => {
  it("turns a gen_ai.evaluation.result span event into an evaluation reward of the span's trajectory", () => {
    const spans = [
      ...nested.slice(0, 2),
      llm({
        id: 'code',
        parent: 'coder',
        start: 2,
        events: [
          evaluationEvent(
            {
              'gen_ai.evaluation.name': 'lint',
              'gen_ai.evaluation.score.value': 0.25,
              'gen_ai.evaluation.explanation': 'style',
            },
            '6000000000',
          ),
        ],
      }),
    ];
    expect(collect(spans)).toEqual([
      {
        trajectory_id: of('coder'),
        root_trajectory_id: of('planner'),
        name: 'lint',
        value: 0.25,
        source: 'evaluation',
        comment: 'style',
        span_id: 'code',
        time: at(6),
        dimension: 0,
      },
    ]);
  });

  it('reads a score sent as a numeric string, and an event without a time at time 0', () => {
    const [collected] = collect([
      llm({ id: 'call', events: [evaluationEvent({ 'gen_ai.evaluation.score.value': '0.5' })] }),
    ]);
    expect(collected).toMatchObject({ name: '', value: 0.5, comment: '', time: 0n });
  });

  it('skips events of another name and evaluation events without a score', () => {
    const events = [
      { name: 'gen_ai.choice', attributes: { 'gen_ai.evaluation.score.value': 1 } },
      evaluationEvent({ 'gen_ai.evaluation.name': 'unscored' }),
      { name: 'gen_ai.evaluation.result' },
    ];
    expect(collect([llm({ id: 'call', events })])).toEqual([]);
  });

  it('gives an evaluation log record the trajectory of the span it names', () => {
    const record: EvaluationRecord = {
      trace_id: traceId,
      span_id: 'code',
      name: 'judge',
      value: 0.7,
      comment: 'fine',
      time: at(4),
    };
    expect(collect(nested, [record])).toEqual([
      {
        trajectory_id: of('coder'),
        root_trajectory_id: of('planner'),
        name: 'judge',
        value: 0.7,
        source: 'evaluation',
        comment: 'fine',
        span_id: 'code',
        time: at(4),
        dimension: 0,
      },
    ]);
  });

  it("gives an evaluation log record of an unknown span the trace's default trajectory, as trajectory and root", () => {
    const record: EvaluationRecord = {
      trace_id: traceId,
      span_id: 'ffffffffffffffff',
      name: 'judge',
      value: 0.7,
      comment: '',
      time: at(4),
    };
    expect(
      collect(nested, [record]).map(({ trajectory_id, root_trajectory_id, span_id }) => ({
        trajectory_id,
        root_trajectory_id,
        span_id,
      })),
    ).toEqual([{ trajectory_id: of('planner'), root_trajectory_id: of('planner'), span_id: 'ffffffffffffffff' }]);
  });

  it('drops an evaluation log record of a trace with no stored span', () => {
    const record: EvaluationRecord = {
      trace_id: otherTraceId,
      span_id: 'code',
      name: 'judge',
      value: 1,
      comment: '',
      time: at(4),
    };
    expect(collect(nested, [record])).toEqual([]);
  });
});

describe('collectRewards: scores read as the rewards view reads them (ClickHouse JSONExtractFloat)', () => {
  const scoreOf = (score: string) =>
    collect([llm({ id: 'call', events: [evaluationEvent({ 'gen_ai.evaluation.score.value': score })] })])[0]?.value;

  it('parses signed, fractional and exponent score strings', () => {
    expect([scoreOf('+0.5'), scoreOf('.5'), scoreOf('1e-3'), scoreOf('5.'), scoreOf('1,5')]).toEqual([
      0.5, 0.5, 0.001, 5, 0,
    ]);
  });

  // As JSONExtractFloat reads them (test/trajectories/clickhouse-json.test.ts checks against the engine).
  it('reads a score string with surrounding spaces as 0', () => {
    expect(scoreOf(' 0.5')).toBe(0);
  });

  it('reads a hexadecimal score string as 0', () => {
    expect(scoreOf('0x1A')).toBe(0);
  });
});

describe('collectRewards: feedback', () => {
  it('keeps feedback under the trajectory it was posted for, with no root and no span', () => {
    const posted: FeedbackRecord = {
      trace_id: traceId,
      trajectory_id: of('coder'),
      name: 'human',
      value: 1,
      comment: 'correct',
      time: at(100),
    };
    expect(collect(nested, [], [posted])).toEqual([
      {
        trajectory_id: of('coder'),
        root_trajectory_id: '',
        name: 'human',
        value: 1,
        source: 'feedback',
        comment: 'correct',
        span_id: '',
        time: at(100),
        dimension: 0,
      },
    ]);
  });
});

describe('compareRewards', () => {
  it("orders a trajectory's rewards by time, then source, then name", () => {
    const rewards = [
      reward({ source: 'span', value: 1, name: 'b', time: 2n }),
      reward({ source: 'span', value: 2, name: 'a', time: 2n }),
      reward({ source: 'evaluation', value: 3, name: 'z', time: 2n }),
      reward({ source: 'feedback', value: 4, name: 'a', time: 1n }),
    ];
    expect([...rewards].sort(compareRewards).map((entry) => entry.value)).toEqual([4, 3, 2, 1]);
  });
});
