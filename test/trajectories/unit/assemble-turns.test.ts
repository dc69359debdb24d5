import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../../../src/model/message.ts';
import {
  assembleTurns,
  firstUserHash,
  unionTurnTools,
  type AssembledTurn,
} from '../../../src/trajectories/assemble-turns.ts';
import { airRuleValues } from '../../../src/trajectories/air-rewards.ts';
import type { AssemblySpan } from '../../../src/trajectories/assembly-input.ts';
import { assistant, llm, system, tool, toolCall, toolMessage, user } from './assembly-builders.ts';

// Powers of two, so that every sum of them is exact.
const rules = airRuleValues([
  { rule: 'tool_succeeded', reward: 0.5 },
  { rule: 'tool_failed', reward: -0.25 },
  { rule: 'llm_failed', reward: -1 },
  { rule: 'tool_unanswered', reward: -0.125 },
]);

function turns(llmSpans: AssemblySpan[], toolSpans: AssemblySpan[] = []): AssembledTurn[] {
  return assembleTurns(llmSpans, toolSpans, rules);
}

/** Which tool span answered each call (or execution) of a turn, and how. */
function answers(turn: AssembledTurn | undefined) {
  return turn?.tool_calls.map((execution) => ({
    call_id: execution.call_id,
    span_id: execution.span_id,
    status: execution.status,
  }));
}

describe('assembleTurns: pairing tool executions with tool calls', () => {
  it('answers parallel calls by call id, whatever order their tool spans started in', () => {
    const [turn] = turns(
      [
        llm({
          id: 'call',
          start: 1,
          output: assistant(null, toolCall('call_a', 'lookup', '{"q":1}'), toolCall('call_b', 'calc', '{"x":2}')),
        }),
      ],
      [
        tool({ id: 'calc-run', start: 2, name: 'calc', callId: 'call_b', result: '4' }),
        tool({ id: 'lookup-run', start: 3, name: 'lookup', callId: 'call_a', result: 'A' }),
      ],
    );
    expect(turn?.tool_calls).toEqual([
      {
        name: 'lookup',
        call_id: 'call_a',
        arguments: '{"q":1}',
        result: 'A',
        status: 'ok',
        result_source: 'tool_span',
        span_id: 'lookup-run',
        air_rule: 'tool_succeeded',
        air_reward: 0.5,
      },
      {
        name: 'calc',
        call_id: 'call_b',
        arguments: '{"x":2}',
        result: '4',
        status: 'ok',
        result_source: 'tool_span',
        span_id: 'calc-run',
        air_rule: 'tool_succeeded',
        air_reward: 0.5,
      },
    ]);
  });

  it("answers a call by id even when its tool span started in a later turn's window", () => {
    const result = turns(
      [
        llm({ id: 'first', start: 1, output: assistant(null, toolCall('call_a', 'slow')) }),
        llm({ id: 'second', start: 5 }),
      ],
      [tool({ id: 'slow-run', start: 6, name: 'slow', callId: 'call_a' })],
    );
    expect(answers(result[0])).toEqual([{ call_id: 'call_a', span_id: 'slow-run', status: 'ok' }]);
    // Claimed by id, the span is not a leftover of the window it started in.
    expect(result[1]?.tool_calls).toEqual([]);
  });

  it('answers a call without id with the first id-less tool span of its window, in order', () => {
    const [turn] = turns(
      [llm({ id: 'call', start: 1, output: assistant(null, toolCall('', 'first'), toolCall('', 'second')) })],
      [tool({ id: 'run-1', start: 2, name: 'first' }), tool({ id: 'run-2', start: 3, name: 'second' })],
    );
    expect(answers(turn)).toEqual([
      { call_id: '', span_id: 'run-1', status: 'ok' },
      { call_id: '', span_id: 'run-2', status: 'ok' },
    ]);
  });

  it('gives calls answered by id no positional span: the id-less span goes to the first call left unanswered', () => {
    const [turn] = turns(
      [llm({ id: 'call', start: 1, output: assistant(null, toolCall('call_a', 'lookup'), toolCall('', 'finish')) })],
      [
        tool({ id: 'finish-run', start: 2, name: 'finish' }),
        tool({ id: 'lookup-run', start: 3, name: 'lookup', callId: 'call_a' }),
      ],
    );
    expect(answers(turn)).toEqual([
      { call_id: 'call_a', span_id: 'lookup-run', status: 'ok' },
      { call_id: '', span_id: 'finish-run', status: 'ok' },
    ]);
  });

  it('answers a call whose id no tool span carries by position, with a span whose id no call claims', () => {
    const [turn] = turns(
      [llm({ id: 'call', start: 1, output: assistant(null, toolCall('call_model', 'search')) })],
      [tool({ id: 'search-run', start: 2, name: 'search', callId: 'toolu_framework', result: 'hits' })],
    );
    expect(turn?.tool_calls).toEqual([
      {
        name: 'search',
        call_id: 'call_model',
        arguments: '{}',
        result: 'hits',
        status: 'ok',
        result_source: 'tool_span',
        span_id: 'search-run',
        air_rule: 'tool_succeeded',
        air_reward: 0.5,
      },
    ]);
  });

  it('never answers by position with a span whose id another call of the trajectory claims', () => {
    const result = turns(
      [
        llm({ id: 'first', start: 1, output: assistant(null, toolCall('', 'plain')) }),
        llm({ id: 'second', start: 5, output: assistant(null, toolCall('call_late', 'late')) }),
      ],
      [
        tool({ id: 'claimed', start: 2, name: 'late', callId: 'call_late' }),
        tool({ id: 'free', start: 3, name: 'plain' }),
      ],
    );
    expect(answers(result[0])).toEqual([{ call_id: '', span_id: 'free', status: 'ok' }]);
    expect(answers(result[1])).toEqual([{ call_id: 'call_late', span_id: 'claimed', status: 'ok' }]);
  });

  it("answers a call id repeated in every turn (call_0) with the span that started after that turn's call", () => {
    const result = turns(
      [
        llm({ id: 'first', start: 1, output: assistant(null, toolCall('call_0', 'lookup')) }),
        llm({ id: 'second', start: 5, output: assistant(null, toolCall('call_0', 'lookup')) }),
      ],
      [
        tool({ id: 'run-1', start: 2, name: 'lookup', callId: 'call_0', result: 'one' }),
        tool({ id: 'run-2', start: 6, name: 'lookup', callId: 'call_0', result: 'two' }),
      ],
    );
    expect(result.map((turn) => turn.tool_calls.map((execution) => execution.result))).toEqual([['one'], ['two']]);
  });

  it('falls back to an earlier span with the call id when none started after the call', () => {
    const result = turns(
      [
        llm({ id: 'early', start: 1 }),
        llm({ id: 'late', start: 5, output: assistant(null, toolCall('call_x', 'run')) }),
      ],
      [tool({ id: 'before', start: 2, name: 'run', callId: 'call_x', result: 'done' })],
    );
    expect(answers(result[1])).toEqual([{ call_id: 'call_x', span_id: 'before', status: 'ok' }]);
    expect(result[0]?.tool_calls).toEqual([]);
  });

  it('marks a call nothing answered missing, with a null result and the tool_unanswered reward', () => {
    const [turn] = turns([
      llm({ id: 'call', start: 1, output: assistant(null, toolCall('call_c', 'search', '{"q":"x"}')) }),
    ]);
    expect(turn?.tool_calls).toEqual([
      {
        name: 'search',
        call_id: 'call_c',
        arguments: '{"q":"x"}',
        result: null,
        status: 'missing',
        result_source: 'none',
        span_id: '',
        air_rule: 'tool_unanswered',
        air_reward: -0.125,
      },
    ]);
    expect(turn?.air_reward).toBe(-0.125);
  });

  it('leaves a positional call missing when its window holds fewer tool spans than calls', () => {
    const [turn] = turns(
      [llm({ id: 'call', start: 1, output: assistant(null, toolCall('', 'first'), toolCall('', 'second')) })],
      [tool({ id: 'only', start: 2, name: 'first' })],
    );
    expect(answers(turn)).toEqual([
      { call_id: '', span_id: 'only', status: 'ok' },
      { call_id: '', span_id: '', status: 'missing' },
    ]);
  });

  it('reports a failed tool span as status error with the tool_failed reward', () => {
    const [turn] = turns(
      [llm({ id: 'call', start: 1, output: assistant(null, toolCall('call_b', 'calc')) })],
      [tool({ id: 'calc-run', start: 2, name: 'calc', callId: 'call_b', result: 'boom', status: 'error' })],
    );
    expect(
      turn?.tool_calls.map(({ result, status, air_rule, air_reward }) => ({ result, status, air_rule, air_reward })),
    ).toEqual([{ result: 'boom', status: 'error', air_rule: 'tool_failed', air_reward: -0.25 }]);
  });

  it('counts a tool span with unset status as succeeded', () => {
    const [turn] = turns(
      [llm({ id: 'call', start: 1, output: assistant(null, toolCall('call_a', 'lookup')) })],
      [tool({ id: 'run', start: 2, name: 'lookup', callId: 'call_a', status: 'unset' })],
    );
    expect(turn?.tool_calls.map(({ status, air_rule }) => ({ status, air_rule }))).toEqual([
      { status: 'unset', air_rule: 'tool_succeeded' },
    ]);
  });

  it("bounds a window by the call's start (inclusive) and the next call's start (exclusive)", () => {
    const result = turns(
      [
        llm({ id: 'first', start: 1, output: assistant(null, toolCall('', 'a')) }),
        llm({ id: 'second', start: 5, output: assistant(null, toolCall('', 'b')) }),
      ],
      [tool({ id: 'at-first', start: 1, name: 'a' }), tool({ id: 'at-second', start: 5, name: 'b' })],
    );
    expect(result.map((turn) => turn.tool_calls.map((execution) => execution.span_id))).toEqual([
      ['at-first'],
      ['at-second'],
    ]);
  });

  it('lists the id-less tool spans left over in a window as extra executions of the turn, with their own fields', () => {
    const [turn] = turns(
      [llm({ id: 'call', start: 1, output: assistant(null, toolCall('', 'finish')) })],
      [
        tool({ id: 'finish-run', start: 2, name: 'finish', result: 'done' }),
        tool({
          id: 'cleanup-run',
          start: 3,
          name: 'cleanup',
          result: 'ok',
          tool_arguments: '{"all":true}',
          status: 'error',
        }),
      ],
    );
    expect(turn?.tool_calls[1]).toEqual({
      name: 'cleanup',
      call_id: '',
      arguments: '{"all":true}',
      result: 'ok',
      status: 'error',
      result_source: 'tool_span',
      span_id: 'cleanup-run',
      air_rule: 'tool_failed',
      air_reward: -0.25,
    });
    expect(turn?.tool_calls).toHaveLength(2);
  });

  it('lists the tool spans of a call that recorded no output message as its executions', () => {
    const [turn] = turns(
      [llm({ id: 'call', start: 1 })],
      [tool({ id: 'run', start: 2, name: 'run', callId: 'toolu_1', result: 'r' })],
    );
    expect(turn).toMatchObject({ output_message: null, finish_reason: '' });
    expect(answers(turn)).toEqual([{ call_id: 'toolu_1', span_id: 'run', status: 'ok' }]);
  });

  it('puts a tool span that started before the first LLM call, and that no call claims, in no turn', () => {
    const [turn] = turns([llm({ id: 'call', start: 5 })], [tool({ id: 'warm-up', start: 1, name: 'warm_up' })]);
    expect(turn?.tool_calls).toEqual([]);
  });
});

describe('assembleTurns: messages', () => {
  const prompt = [system('You are a solver.'), user('Solve task 9')];
  const firstOutput = assistant(null, toolCall('call_a', 'lookup'));

  it('keeps only the messages after what an earlier turn showed (its input plus its output) as new_messages', () => {
    const toolResult = toolMessage('call_a', 'A');
    const result = turns([
      llm({ id: 'first', start: 1, input: prompt, output: firstOutput }),
      llm({ id: 'second', start: 5, input: [...prompt, firstOutput, toolResult], output: assistant('done') }),
    ]);
    expect(result[0]?.new_messages).toEqual(prompt);
    expect(result[1]?.new_messages).toEqual([toolResult]);
    expect(result[1]?.input_messages).toEqual([...prompt, firstOutput, toolResult]);
  });

  it('gives a call that repeats an earlier prompt without the output no new messages', () => {
    const result = turns([
      llm({ id: 'first', start: 1, input: prompt, output: firstOutput }),
      llm({ id: 'retry', start: 5, input: prompt }),
    ]);
    expect(result[1]?.new_messages).toEqual([]);
  });

  it('takes the longest prefix over all earlier turns, not just the previous one', () => {
    const branch = user('Try another way');
    const result = turns([
      llm({ id: 'first', start: 1, input: prompt, output: firstOutput }),
      llm({ id: 'side', start: 5, input: [user('unrelated')], output: assistant('ok') }),
      llm({ id: 'third', start: 9, input: [...prompt, firstOutput, branch] }),
    ]);
    expect(result[2]?.new_messages).toEqual([branch]);
  });

  it('compares messages on role, content, tool call ids and tool_call_id only, so re-rendered arguments count as shown', () => {
    const rerendered = assistant(null, toolCall('call_a', 'lookup', '{"q": 1}'));
    const withName = { ...user('Solve task 9'), name: 'alice' };
    const result = turns([
      llm({ id: 'first', start: 1, input: prompt, output: firstOutput }),
      llm({ id: 'second', start: 5, input: [prompt[0]!, withName, rerendered, toolMessage('call_a', 'A')] }),
    ]);
    expect(result[1]?.new_messages).toEqual([toolMessage('call_a', 'A')]);
  });

  it('treats a message whose tool_call_id differs as new, even with the same content', () => {
    const result = turns([
      llm({ id: 'first', start: 1, input: [toolMessage('call_a', 'ok')] }),
      llm({ id: 'second', start: 5, input: [toolMessage('call_b', 'ok')] }),
    ]);
    expect(result[1]?.new_messages).toEqual([toolMessage('call_b', 'ok')]);
  });

  it('takes the assistant message among the outputs, else the first output, with its finish reason', () => {
    const withReason = { ...assistant('answer'), finish_reason: 'stop' };
    const [picked, fallback] = turns([
      llm({ id: 'picked', start: 1, output_messages: [user('echo'), withReason] }),
      llm({ id: 'fallback', start: 2, output_messages: [toolMessage('call_a', 'x')] }),
    ]);
    expect(picked).toMatchObject({ output_message: withReason, finish_reason: 'stop' });
    expect(fallback).toMatchObject({ output_message: toolMessage('call_a', 'x'), finish_reason: '' });
  });

  it('keys the task by msg: and 16 hex digits of SHA-256 of the first user message', () => {
    expect(firstUserHash([system('s'), user('hello'), user('again')])).toBe('msg:2cf24dba5fb0a30e');
    expect(firstUserHash([system('s')])).toBe('');
    const [turn] = turns([llm({ id: 'call', input: [user('hello')] })]);
    expect(turn?.first_user_hash).toBe('msg:2cf24dba5fb0a30e');
  });
});

describe('assembleTurns: per-turn fields and AIR rewards', () => {
  it("numbers turns from 0 in the order given and carries the call's model, usage and timing", () => {
    const result = turns([
      llm({
        id: 'first',
        start: 1,
        end: 1.25,
        model: 'gpt-4o',
        provider: 'openai',
        input_tokens: 10,
        output_tokens: 5,
      }),
      llm({ id: 'second', start: 2, end: 3.5 }),
    ]);
    expect(
      result.map(({ index, span_id, latency_ms, start_time_unix_nano }) => ({
        index,
        span_id,
        latency_ms,
        start_time_unix_nano,
      })),
    ).toEqual([
      { index: 0, span_id: 'first', latency_ms: 250, start_time_unix_nano: '1000000000' },
      { index: 1, span_id: 'second', latency_ms: 1500, start_time_unix_nano: '2000000000' },
    ]);
    expect(result[0]).toMatchObject({
      model: 'gpt-4o',
      provider: 'openai',
      input_tokens: 10,
      output_tokens: 5,
      status: 'ok',
    });
    expect(result[1]).toMatchObject({ input_tokens: null, output_tokens: null });
  });

  it("sums the turn's AIR reward from the failed call and each of its tool executions", () => {
    const [turn] = turns(
      [
        llm({
          id: 'call',
          start: 1,
          status: 'error',
          output: assistant(null, toolCall('call_a', 'a'), toolCall('call_b', 'b'), toolCall('call_c', 'c')),
        }),
      ],
      [
        tool({ id: 'run-a', start: 2, name: 'a', callId: 'call_a' }),
        tool({ id: 'run-b', start: 2, name: 'b', callId: 'call_b', status: 'error' }),
      ],
    );
    // llm_failed -1, succeeded +0.5, failed -0.25, unanswered -0.125.
    expect(turn?.air_reward).toBe(-0.875);
  });

  it('gives a call that succeeded without tools no AIR reward', () => {
    const [turn] = turns([llm({ id: 'call', start: 1, output: assistant('hi') })]);
    expect(turn?.air_reward).toBe(0);
  });

  it('values a rule missing from the table at 0', () => {
    const [turn] = assembleTurns(
      [llm({ id: 'call', status: 'error', output: assistant(null, toolCall('call_a', 'a')) })],
      [],
      airRuleValues([]),
    );
    expect(turn?.air_reward).toBe(0);
    expect(turn?.tool_calls.map(({ air_rule, air_reward }) => ({ air_rule, air_reward }))).toEqual([
      { air_rule: 'tool_unanswered', air_reward: 0 },
    ]);
  });

  it("wraps the latency of a span that ends before it starts as the view's UInt64 subtraction does", () => {
    const [turn] = turns([llm({ id: 'call', start: 2, end: 1 })]);
    expect(turn?.latency_ms).toBe(Number(2n ** 64n - 1_000_000_000n) / 1e6);
  });
});

describe('unionTurnTools', () => {
  const definition = (name: string, description: string): ToolDefinition => ({
    type: 'function',
    function: { name, description },
  });

  it('lists every tool offered across the turns once, the first definition of each name winning', () => {
    const result = turns([
      llm({ id: 'first', start: 1, tool_definitions: [definition('lookup', 'v1'), definition('calc', 'v1')] }),
      llm({ id: 'second', start: 2, tool_definitions: [definition('lookup', 'v2'), definition('search', 'v1')] }),
    ]);
    expect(unionTurnTools(result)).toEqual([
      definition('lookup', 'v1'),
      definition('calc', 'v1'),
      definition('search', 'v1'),
    ]);
  });
});

describe('assembleTurns: results from tool messages when no tool span answered', () => {
  const unknownRules = airRuleValues([
    { rule: 'tool_succeeded', reward: 0.5 },
    { rule: 'tool_failed', reward: -0.25 },
    { rule: 'tool_answered_status_unknown', reward: 0.0625 },
    { rule: 'tool_unanswered', reward: -0.125 },
  ]);
  const ask = user('go');
  const calls = assistant(
    null,
    toolCall('call_a', 'lookup', '{}'),
    toolCall('', 'note', '{}'),
    toolCall('call_c', 'c', '{}'),
  );
  const answer = (callId: string, content: string, isError?: boolean) => ({
    ...toolMessage(callId, content),
    ...(isError === undefined ? {} : { is_error: isError }),
  });

  function messageAnswers(turn: AssembledTurn | undefined) {
    return turn?.tool_calls.map(({ call_id, result, status, result_source, air_rule, air_reward }) => ({
      call_id,
      result,
      status,
      result_source,
      air_rule,
      air_reward,
    }));
  }

  it('takes a call’s result from the first later tool message with its id, and id-less ones by position in the next call', () => {
    const [first] = assembleTurns(
      [
        llm({ id: 'one', start: 1, input: [ask], output: calls }),
        llm({
          id: 'two',
          start: 5,
          input: [ask, calls, answer('call_a', 'A'), answer('', 'noted')],
          output: assistant('ok'),
        }),
      ],
      [],
      unknownRules,
    );
    expect(messageAnswers(first)).toEqual([
      {
        call_id: 'call_a',
        result: 'A',
        status: 'unknown',
        result_source: 'message',
        air_rule: 'tool_answered_status_unknown',
        air_reward: 0.0625,
      },
      {
        call_id: '',
        result: 'noted',
        status: 'unknown',
        result_source: 'message',
        air_rule: 'tool_answered_status_unknown',
        air_reward: 0.0625,
      },
      {
        call_id: 'call_c',
        result: null,
        status: 'missing',
        result_source: 'none',
        air_rule: 'tool_unanswered',
        air_reward: -0.125,
      },
    ]);
  });

  it('reads is_error as the status, and finds an answer shown only by a later call', () => {
    const second = answer('call_a', 'A', false);
    const [first] = assembleTurns(
      [
        llm({ id: 'one', start: 1, input: [ask], output: calls }),
        llm({ id: 'two', start: 5, input: [ask, calls, second], output: assistant('more') }),
        llm({
          id: 'three',
          start: 9,
          input: [ask, calls, second, assistant('more'), answer('call_c', 'boom', true)],
          output: assistant('done'),
        }),
      ],
      [],
      unknownRules,
    );
    expect(messageAnswers(first)?.map(({ call_id, status, air_rule }) => ({ call_id, status, air_rule }))).toEqual([
      { call_id: 'call_a', status: 'ok', air_rule: 'tool_succeeded' },
      { call_id: '', status: 'missing', air_rule: 'tool_unanswered' },
      { call_id: 'call_c', status: 'error', air_rule: 'tool_failed' },
    ]);
  });

  it('answers a call id that repeats across turns from the message each next call shows first', () => {
    const repeated = assistant(null, toolCall('call_0', 'step', '{}'));
    const [first, second] = assembleTurns(
      [
        llm({ id: 'one', start: 1, input: [ask], output: repeated }),
        llm({ id: 'two', start: 5, input: [ask, repeated, answer('call_0', 'first')], output: repeated }),
        llm({
          id: 'three',
          start: 9,
          input: [ask, repeated, answer('call_0', 'first'), repeated, answer('call_0', 'second')],
          output: assistant('done'),
        }),
      ],
      [],
      unknownRules,
    );
    expect(first?.tool_calls[0]).toMatchObject({ result: 'first', result_source: 'message' });
    expect(second?.tool_calls[0]).toMatchObject({ result: 'second', result_source: 'message', status: 'unknown' });
  });

  it('prefers a tool span to a tool message that answers the same call', () => {
    const [first] = assembleTurns(
      [
        llm({ id: 'one', start: 1, input: [ask], output: calls }),
        llm({
          id: 'two',
          start: 5,
          input: [ask, calls, answer('call_a', 'from the message')],
          output: assistant('ok'),
        }),
      ],
      [tool({ id: 'run', start: 2, name: 'lookup', callId: 'call_a', result: 'from the span' })],
      unknownRules,
    );
    expect(first?.tool_calls[0]).toMatchObject({
      result: 'from the span',
      result_source: 'tool_span',
      span_id: 'run',
      status: 'ok',
    });
  });
});
