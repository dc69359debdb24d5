import { describe, expect, it } from 'vitest';
import { continuationKeys, conversationKey, openingKeys } from '../../../src/trajectories/history-keys.ts';
import { assistant, system, toolCall, toolMessage, user } from './assembly-builders.ts';

const ask = user('What is 6 x 7?');
const calls = assistant(null, toolCall('call_1', 'calc', '{"x":6}'));

describe('message-history keys', () => {
  it('match a call’s input + output with the next call’s input up to its last assistant message', () => {
    const published = continuationKeys([system('Calc.'), ask], calls);
    const next = openingKeys([system('Calc.'), ask, calls, toolMessage('call_1', '42')]);
    expect(next.map((key) => key.key)).toEqual(published.map((key) => key.key));
    expect(next.map((key) => key.variant)).toEqual(['full', 'without_system']);
  });

  it('match without system messages when only the system prompt changed', () => {
    const [full, withoutSystem] = continuationKeys([system('Now: 12:00'), ask], calls);
    const [nextFull, nextWithoutSystem] = openingKeys([system('Now: 12:01'), ask, calls, toolMessage('call_1', '42')]);
    expect(nextFull!.key).not.toBe(full!.key);
    expect(nextWithoutSystem!.key).toBe(withoutSystem!.key);
  });

  it('differ when the output differs (tool call arguments count), and give nothing to match without an assistant message', () => {
    const other = assistant(null, toolCall('call_1', 'calc', '{"x":7}'));
    expect(continuationKeys([ask], calls)[0]!.key).not.toBe(continuationKeys([ask], other)[0]!.key);
    expect(openingKeys([system('Calc.'), ask])).toEqual([]);
    expect(continuationKeys([ask], undefined)).toEqual([]);
  });

  it('hash conversation ids to fixed-size keys', () => {
    expect(conversationKey('conv-7')).toMatch(/^[0-9a-f]{32}$/);
    expect(conversationKey('conv-7')).not.toBe(conversationKey('conv-8'));
  });
});
