/**
 * The dashboard's pure rules, without a browser: the timeline's row order and depths (span-tree.ts) and where
 * attempts at a task diverge (divergence.ts), and how rewards read (format.ts).
 */
import { describe, expect, it } from 'vitest';
import type { TimelineSpan, Trajectory, Turn } from '../../dashboard/src/api/types.ts';
import { formatReward } from '../../dashboard/src/format.ts';
import { firstDivergence, stepSignature } from '../../dashboard/src/trajectory/divergence.ts';
import { layoutTimeline } from '../../dashboard/src/trajectory/span-tree.ts';

function span(id: string, parent: string, startMs: number, endMs: number): TimelineSpan {
  return {
    trace_id: 't',
    span_id: id,
    parent_span_id: parent,
    name: id,
    kind: 'other',
    status: 'ok',
    status_message: '',
    error_type: '',
    start_time_unix_nano: String(BigInt(startMs) * 1_000_000n),
    end_time_unix_nano: String(BigInt(endMs) * 1_000_000n),
    model: '',
    tool_name: '',
    tool_call_id: '',
    input_tokens: null,
    output_tokens: null,
    agent_name: '',
    trajectory_id: 'x',
  };
}

describe('layoutTimeline', () => {
  it('orders spans depth first under their parents, children by start, with offsets from the first start', () => {
    const layout = layoutTimeline([
      span('root', '', 1000, 1010),
      span('a', 'root', 1001, 1004),
      span('b', 'root', 1005, 1009),
      span('a1', 'a', 1002, 1003),
      span('orphan', 'missing', 1006, 1007),
    ]);
    expect(layout.rows.map((row) => [row.span.span_id, row.depth, row.offsetMillis, row.durationMillis])).toEqual([
      ['root', 0, 0, 10],
      ['a', 1, 1, 3],
      ['a1', 2, 2, 1],
      ['b', 1, 5, 4],
      ['orphan', 0, 6, 1],
    ]);
    expect(layout.windowMillis).toBe(10);
  });

  it('gives every span a row when parents form a cycle, and handles a 10,000-deep chain', () => {
    const cycle = layoutTimeline([span('p', 'q', 0, 1), span('q', 'p', 0, 1)]);
    expect(cycle.rows.map((row) => row.span.span_id).sort()).toEqual(['p', 'q']);
    const chain = Array.from({ length: 10_000 }, (_, index) =>
      span(`s${index}`, index === 0 ? '' : `s${index - 1}`, index, index + 1),
    );
    const layout = layoutTimeline(chain);
    expect(layout.rows).toHaveLength(10_000);
    expect(layout.rows[9_999]?.depth).toBe(9_999);
  });
});

function turn(content: string | null, calls: Array<[string, string]> = []): Turn {
  return {
    output_message: {
      role: 'assistant',
      content,
      ...(calls.length > 0
        ? {
            tool_calls: calls.map(([name, args], index) => ({
              id: `c${index}`,
              type: 'function' as const,
              function: { name, arguments: args },
            })),
          }
        : {}),
    },
    status: 'ok',
  } as Turn;
}

function attempt(...turns: Turn[]): Trajectory {
  return { turns } as Trajectory;
}

describe('firstDivergence', () => {
  it('finds the first turn where the steps differ, a missing turn included', () => {
    const lookup = turn(null, [['lookup', '{"city":"Oslo"}']]);
    expect(stepSignature(lookup)).toBe('lookup({"city":"Oslo"})');
    expect(firstDivergence([attempt(lookup, turn('sunny')), attempt(lookup, turn('sunny'))])).toBeNull();
    expect(firstDivergence([attempt(lookup, turn('sunny')), attempt(lookup, turn('rain'))])).toBe(1);
    expect(firstDivergence([attempt(lookup), attempt(turn(null, [['search', '{}']]))])).toBe(0);
    expect(firstDivergence([attempt(lookup), attempt(lookup, turn('more'))])).toBe(1);
    expect(firstDivergence([attempt(lookup)])).toBeNull();
  });
});

describe('formatReward', () => {
  it('drops trailing zeros of the fraction only', () => {
    expect([0, 1, 0.5, 0.25, -1, 1 / 3, 10, 100, 250, 1500].map(formatReward)).toEqual([
      '0',
      '1',
      '0.5',
      '0.25',
      '-1',
      '0.333',
      '10',
      '100',
      '250',
      '1500',
    ]);
    expect([null, undefined, Number.NaN].map(formatReward)).toEqual(['–', '–', '–']);
  });
});
