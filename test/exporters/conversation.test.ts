import { describe, expect, it } from 'vitest';
import { convertBatch } from '../../src/exporters/convert-batch.ts';
import { defaultFormatOptions } from '../../src/exporters/export-format.ts';
import { getExportFormat } from '../../src/exporters/formats/index.ts';
import type { Message } from '../../src/model/message.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import { call, execution, trajectory } from './golden-trajectories.ts';

/** The openai-sft messages of one trajectory, validated by the format's schema. */
function sftMessages(value: Trajectory): Array<Record<string, any>> {
  const format = getExportFormat('openai-sft');
  const { records, skipped } = convertBatch(format, [value], defaultFormatOptions);
  expect(skipped).toEqual([]);
  for (const record of records) format.recordSchema.parse(record);
  return (JSON.parse(JSON.stringify(records)) as Array<{ messages: Array<Record<string, any>> }>)[0]!.messages;
}

function toolMessages(messages: Array<Record<string, any>>) {
  return messages
    .filter((message) => message.role === 'tool')
    .map((message) => ({ tool_call_id: message.tool_call_id, content: message.content }));
}

const ask: Message = { role: 'user', content: 'Is it warmer in Paris or London?' };

describe('conversation: tool calls and their results', () => {
  const idLessCalls = [call('', 'get_weather', { city: 'Paris' }), call('', 'get_weather', { city: 'London' })];
  const idLessTurn = {
    input: [ask],
    output: { role: 'assistant' as const, content: null, tool_calls: idLessCalls },
    tools: [
      execution('', 'get_weather', { city: 'Paris' }, '18C'),
      execution('', 'get_weather', { city: 'London' }, '12C'),
    ],
  };
  const answer: Message = { role: 'assistant', content: 'Paris is warmer.' };

  it('gives parallel calls without ids their own ids and answers each with its own execution result, in order', () => {
    const value = trajectory('traj-id-less', 'task-id-less', 1, [
      idLessTurn,
      { input: [ask, { role: 'assistant', content: null, tool_calls: idLessCalls }], output: answer },
    ]);
    const messages = sftMessages(value);
    expect(messages[1]!.tool_calls.map((toolCall: any) => toolCall.id)).toEqual(['call_0_0', 'call_0_1']);
    expect(toolMessages(messages)).toEqual([
      { tool_call_id: 'call_0_0', content: '18C' },
      { tool_call_id: 'call_0_1', content: '12C' },
    ]);
  });

  it('pairs logged id-less tool messages with the id-less calls in order', () => {
    const logged: Message[] = [
      ask,
      { role: 'assistant', content: null, tool_calls: idLessCalls },
      { role: 'tool', content: '18C', tool_call_id: '' },
      { role: 'tool', content: '12C', tool_call_id: '' },
    ];
    const messages = sftMessages(
      trajectory('traj-id-less-logged', 'task-id-less', 1, [idLessTurn, { input: logged, output: answer }]),
    );
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'assistant']);
    expect(toolMessages(messages)).toEqual([
      { tool_call_id: 'call_0_0', content: '18C' },
      { tool_call_id: 'call_0_1', content: '12C' },
    ]);
  });

  it('keeps the result of a call whose id an earlier turn already used (servers numbering calls per response)', () => {
    const paris: Message = {
      role: 'assistant',
      content: null,
      tool_calls: [call('call_0', 'get_weather', { city: 'Paris' })],
    };
    const london: Message = {
      role: 'assistant',
      content: null,
      tool_calls: [call('call_0', 'get_weather', { city: 'London' })],
    };
    const parisResult: Message = { role: 'tool', content: '18C', tool_call_id: 'call_0' };
    const value = trajectory('traj-reused-ids', 'task-reused-ids', 1, [
      { input: [ask], output: paris, tools: [execution('call_0', 'get_weather', { city: 'Paris' }, '18C')] },
      {
        input: [ask, paris, parisResult],
        output: london,
        tools: [execution('call_0', 'get_weather', { city: 'London' }, '12C')],
      },
      {
        input: [ask, paris, parisResult, london, { role: 'tool', content: '12C', tool_call_id: 'call_0' }],
        output: answer,
      },
    ]);
    expect(sftMessages(value).map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(toolMessages(sftMessages(value))).toEqual([
      { tool_call_id: 'call_0', content: '18C' },
      { tool_call_id: 'call_0', content: '12C' },
    ]);
  });

  it('fills in the parallel results a prompt did not log after the ones it did', () => {
    const calls = [call('call_a', 'get_weather', { city: 'Paris' }), call('call_b', 'get_weather', { city: 'London' })];
    const callMessage: Message = { role: 'assistant', content: null, tool_calls: calls };
    const value = trajectory('traj-partial-results', 'task-partial-results', 1, [
      {
        input: [ask],
        output: callMessage,
        tools: [
          execution('call_a', 'get_weather', { city: 'Paris' }, '18C'),
          execution('call_b', 'get_weather', { city: 'London' }, '12C'),
        ],
      },
      { input: [ask, callMessage, { role: 'tool', content: '18C', tool_call_id: 'call_a' }], output: answer },
    ]);
    const messages = sftMessages(value);
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'assistant']);
    expect(toolMessages(messages)).toEqual([
      { tool_call_id: 'call_a', content: '18C' },
      { tool_call_id: 'call_b', content: '12C' },
    ]);
  });
});

describe('conversation: trimmed prompts', () => {
  it('keeps a new user message equal to an earlier one when the prompt was trimmed, dropping only the replayed tail', () => {
    const system: Message = { role: 'system', content: 'Be brief.' };
    const question: Message = { role: 'user', content: 'Delete the file?' };
    const yes: Message = { role: 'user', content: 'yes' };
    const first: Message = { role: 'assistant', content: 'Are you sure?' };
    const second: Message = { role: 'assistant', content: 'Really sure?' };
    const value = trajectory('traj-trimmed', 'task-trimmed', 1, [
      { input: [system, question], output: first },
      { input: [system, question, first, yes], output: second },
      // Context management dropped the old exchange; the assembler's new_messages start after the shared [system].
      {
        input: [system, second, yes],
        output: { role: 'assistant', content: 'Deleted.' },
        extra: { new_messages: [second, yes] },
      },
    ]);
    expect(sftMessages(value).map((message) => message.content)).toEqual([
      'Be brief.',
      'Delete the file?',
      'Are you sure?',
      'yes',
      'Really sure?',
      'yes',
      'Deleted.',
    ]);
  });
});
