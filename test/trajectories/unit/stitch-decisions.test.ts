import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/model/message.ts';
import { continuationKeys, conversationKey, openingKeys } from '../../../src/trajectories/history-keys.ts';
import {
  decideStitches,
  type Candidate,
  type Claim,
  type KeyRow,
  type StitchState,
} from '../../../src/trajectories/stitch-decisions.ts';
import { assistant, system, toolCall, toolMessage, user } from './assembly-builders.ts';

const second = 1_000_000_000n;
const rules = { windowNanos: 60n * second, openQuietMillis: 60_000, nowMillis: 1_000_000 };

const ask = user('What is 6 x 7?');
const first = assistant(null, toolCall('call_1', 'calc', '{"x":6}'));
const firstInput: Message[] = [system('Calc.'), ask];
const secondInput: Message[] = [...firstInput, first, toolMessage('call_1', '42')];

/** A call as a stitchable trace: keys from its messages, times in seconds. */
function candidate(
  traceId: string,
  input: Message[],
  output: Message | undefined,
  at: number,
  fields: Partial<Candidate> = {},
): Candidate {
  return {
    traceId,
    service: 'agent',
    conversationId: '',
    previousResponseId: '',
    lastResponseId: '',
    start: BigInt(at) * second,
    end: BigInt(at + 1) * second,
    openings: openingKeys(input),
    continuations: continuationKeys(input, output),
    ...fields,
  };
}

/** The rows a decided trace published. */
function publishedBy(call: Candidate, kinds: Array<'continuation' | 'opening'> = ['continuation']): KeyRow[] {
  return kinds.flatMap((kind) =>
    (kind === 'continuation' ? call.continuations : call.openings).map((key) => ({
      service_name: call.service,
      kind,
      key: key.key,
      trace_id: call.traceId,
      start_ns: call.start.toString(),
      end_ns: call.end.toString(),
    })),
  );
}

function state(published: KeyRow[], fields: Partial<StitchState> = {}): StitchState {
  return {
    published,
    trajectoryOf: new Map(),
    claims: new Map<string, Claim>(),
    lastActivityMillis: new Map(),
    ...fields,
  };
}

const earlier = candidate('t1', firstInput, first, 0);

describe('decideStitches', () => {
  it('joins the trajectory of the call whose input + output the next input begins with, and claims it', () => {
    const next = candidate('t2', secondInput, assistant('It is 42.'), 3);
    const { decisions, newKeys } = decideStitches([next], state(publishedBy(earlier)), rules);
    expect(decisions.get('t2')).toBe('t1');
    expect(newKeys.filter((row) => row.kind === 'claimed')).toEqual([
      expect.objectContaining({ key: 't1', trace_id: 't2' }),
    ]);
  });

  it('does not merge on a history two trajectories published (equal outputs of parallel rollouts)', () => {
    const twin = { ...earlier, traceId: 'u1' };
    const next = candidate('t2', secondInput, assistant('It is 42.'), 3);
    expect(
      decideStitches([next], state([...publishedBy(earlier), ...publishedBy(twin)]), rules).decisions.get('t2'),
    ).toBe('t2');
  });

  it('does not continue a call another call continued already (a branch)', () => {
    const next = candidate('t3', secondInput, assistant('Another answer.'), 3);
    const claims = new Map<string, Claim>([['t1', { claimer: 't2', firm: true }]]);
    expect(decideStitches([next], state(publishedBy(earlier), { claims }), rules).decisions.get('t3')).toBe('t3');
  });

  it('lets a claim made without system messages give way to a full match, which sends the side call off on its own', () => {
    const next = candidate('t3', secondInput, assistant('It is 42.'), 3);
    const claims = new Map<string, Claim>([['t1', { claimer: 'guard', firm: false }]]);
    const { decisions } = decideStitches([next], state(publishedBy(earlier), { claims }), rules);
    expect(decisions.get('t3')).toBe('t1');
    expect(decisions.get('guard')).toBe('guard');
  });

  it('lets a failed call (no output) join without claiming, so the retry joins too', () => {
    const failed = candidate('t2', secondInput, undefined, 3);
    const retry = candidate('t3', secondInput, assistant('It is 42.'), 5);
    const { decisions } = decideStitches([failed, retry], state(publishedBy(earlier)), rules);
    expect([decisions.get('t2'), decisions.get('t3')]).toEqual(['t1', 't1']);
  });

  it('does not stitch beyond the window, nor into a trajectory that may be complete and exported', () => {
    const late = candidate('t2', secondInput, assistant('It is 42.'), 100);
    expect(decideStitches([late], state(publishedBy(earlier)), rules).decisions.get('t2')).toBe('t2');
    const quietTooLong = state(publishedBy(earlier), {
      lastActivityMillis: new Map([['t1', rules.nowMillis - 60_000]]),
    });
    const next = candidate('t2', secondInput, assistant('It is 42.'), 3);
    expect(decideStitches([next], quietTooLong, rules).decisions.get('t2')).toBe('t2');
  });

  it('stitches by conversation id whatever the messages, also calls that overlap or arrive late', () => {
    const key = conversationKey('conv-1');
    const row = (traceId: string, at: number): KeyRow => ({
      service_name: 'agent',
      kind: 'conversation',
      key,
      trace_id: traceId,
      start_ns: (BigInt(at) * second).toString(),
      end_ns: (BigInt(at + 10) * second).toString(),
    });
    const overlapping = candidate('c2', [user('other')], assistant('x'), 5, { conversationId: 'conv-1' });
    expect(decideStitches([overlapping], state([row('c1', 0)]), rules).decisions.get('c2')).toBe('c1');
    const arrivedLate = candidate('c0', [user('first')], assistant('y'), 0, { conversationId: 'conv-1' });
    expect(decideStitches([arrivedLate], state([row('c1', 4)]), rules).decisions.get('c0')).toBe('c1');
  });

  it('follows previous_response_id, but not for the second of two calls naming one response (a fork)', () => {
    const response: KeyRow = { ...publishedBy(earlier)[0]!, kind: 'response', key: conversationKey('resp_1') };
    const chained = candidate('r2', [toolMessage('call_1', '42')], assistant('42'), 3, {
      previousResponseId: 'resp_1',
    });
    expect(decideStitches([chained], state([response]), rules).decisions.get('r2')).toBe('t1');
    const claims = new Map<string, Claim>([['t1', { claimer: 'r2', firm: true }]]);
    const fork = { ...chained, traceId: 'r3' };
    expect(decideStitches([fork], state([response], { claims }), rules).decisions.get('r3')).toBe('r3');
  });

  it('merges the trajectory a late call’s successor started into the late call’s', () => {
    const successor = candidate('t2', secondInput, assistant('It is 42.'), 3);
    const { decisions, merges } = decideStitches([earlier], state(publishedBy(successor, ['opening'])), rules);
    expect(decisions.get('t1')).toBe('t1');
    expect([...merges]).toEqual([['t2', 't1']]);
  });
});
