/**
 * Decision points of a past run: every tool call is one (earlier calls of its turn in its history), every turn that
 * answered without a tool is one, and a model call that produced nothing is none.
 */
import { describe, expect, it } from 'vitest';
import { conversationStateOf, decisionPointsOf } from '../../../src/context/decision-points.ts';
import type { Trajectory } from '../../../src/model/trajectory.ts';

type Turns = Pick<Trajectory, 'turns'>;

function run(...turns: Array<string[] | 'answer' | 'failed'>): Turns {
  return {
    turns: turns.map((turn) => ({
      output_message: turn === 'failed' ? null : { role: 'assistant', content: turn === 'answer' ? 'done' : '' },
      tool_calls: Array.isArray(turn) ? turn.map((name) => ({ name })) : [],
    })),
  } as unknown as Turns;
}

describe('decisionPointsOf', () => {
  it('counts each call of a turn with the same turn’s earlier calls as its history', () => {
    expect(decisionPointsOf(run(['search_flights', 'book_flight'], 'answer'))).toEqual([
      { history: [], step: 0, action: 'search_flights' },
      { history: ['search_flights'], step: 0, action: 'book_flight' },
      { history: ['search_flights', 'book_flight'], step: 1, action: 'answer' },
    ]);
  });

  it('gives calls in one turn and in two turns the same decision to book after searching', () => {
    const together = decisionPointsOf(run(['search_flights', 'book_flight'], 'answer'));
    const apart = decisionPointsOf(run(['search_flights'], ['book_flight'], 'answer'));
    const bookAfterSearch = (points: ReturnType<typeof decisionPointsOf>) =>
      points.filter((point) => point.action === 'book_flight').map((point) => point.history);
    expect(bookAfterSearch(together)).toEqual([['search_flights']]);
    expect(bookAfterSearch(apart)).toEqual([['search_flights']]);
  });

  it('skips a model call that produced nothing: it takes no step', () => {
    expect(decisionPointsOf(run('failed', ['fetch'], 'answer'))).toEqual([
      { history: [], step: 0, action: 'fetch' },
      { history: ['fetch'], step: 1, action: 'answer' },
    ]);
  });

  it('reads a conversation’s state the same way: tools called so far, assistant messages as steps', () => {
    const state = conversationStateOf([
      { role: 'user', content: 'Book a flight to Oslo' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'search_flights', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'SK123' },
    ]);
    expect(state).toEqual({ task: 'Book a flight to Oslo', history: ['search_flights'], step: 1 });
  });
});
