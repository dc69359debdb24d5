import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertBatch } from '../../src/exporters/convert-batch.ts';
import { defaultFormatOptions, type FormatOptions } from '../../src/exporters/export-format.ts';
import { exportFormats, getExportFormat } from '../../src/exporters/formats/index.ts';
import { writeTrajectories } from '../../src/exporters/run-export.ts';
import type { TrajectorySource } from '../../src/exporters/trajectory-source.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';
import { goldenFile, optionVariants } from './golden-exports.ts';
import {
  call,
  execution,
  goldenTrajectories,
  multiTurn,
  parallelToolCalls,
  trajectory,
  unrewarded,
  weatherNoTool,
  weatherTool,
  weatherToolCall,
} from './golden-trajectories.ts';

function convert(name: string, trajectories = goldenTrajectories, options: Partial<FormatOptions> = {}) {
  const format = getExportFormat(name);
  const result = convertBatch(format, trajectories, { ...defaultFormatOptions, ...options });
  for (const record of result.records) format.recordSchema.parse(record);
  // Round trip through JSON: what is written is what the schema saw.
  return { ...result, records: JSON.parse(JSON.stringify(result.records)) as Array<Record<string, any>> };
}

const weatherToolJson = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: weatherTool.function.parameters,
  },
};

describe('every format', () => {
  it.each(exportFormats.map((format) => format.name))(
    '%s skips the unrewarded trajectory with "no reward" and validates its records',
    (name) => {
      const result = convert(name);
      expect(result.skipped).toContainEqual({ trajectory_id: unrewarded.id, reason: 'no reward' });
      expect(result.records.length).toBeGreaterThan(0);
      expect(JSON.stringify(result.records)).not.toContain('Probably rainy');
    },
  );
});

describe('art', () => {
  it('writes one TrajectoryGroup per task with assistant outputs as Choices and the rest as messages', () => {
    const { records } = convert('art');
    const weather = records.find((record) => record.metadata.task_id === 'task-weather')!;
    expect(weather.trajectories).toHaveLength(2);
    expect(weather.exceptions).toEqual([]);
    const good = weather.trajectories.find((item: any) => item.metadata.trajectory_id === weatherToolCall.id);
    expect(good.reward).toBe(1);
    expect(good.tools).toEqual([weatherToolJson]);
    expect(good.logs).toEqual([]);
    expect(good.metrics).toMatchObject({ turns: 2, tool_calls: 1 });
    expect(good.messages_and_choices).toEqual([
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'user', content: 'What is the weather in Paris?' },
      {
        finish_reason: 'tool_calls',
        index: 0,
        logprobs: null,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
      },
      { role: 'tool', content: '18C, sunny', tool_call_id: 'call_1' },
      {
        finish_reason: 'stop',
        index: 0,
        logprobs: null,
        message: { role: 'assistant', content: 'It is 18C and sunny in Paris.' },
      },
    ]);
  });

  it('keeps replayed assistant history of a multi-turn conversation as a Choice only when this run generated it', () => {
    const { records } = convert('art', [multiTurn]);
    const items = records[0]!.trajectories[0].messages_and_choices;
    expect(items.map((item: any) => ('finish_reason' in item ? 'choice' : item.role))).toEqual([
      'system',
      'user',
      'choice',
      'user',
      'choice',
    ]);
    expect(items[4].message.content).toBe('42');
  });

  it('uses the chosen credit column as the reward', () => {
    const { records } = convert('art', [weatherToolCall], { credit: 'advantage' });
    expect(records[0]!.trajectories[0].reward).toBe(0.5);
    expect(records[0]!.trajectories[0].metadata.reward_column).toBe('advantage');
  });
});

describe('agent-lightning', () => {
  it('writes one triplet per LLM call with raw content, token ids and logprobs when recorded', () => {
    const { records } = convert('agent-lightning', [multiTurn]);
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual({
      prompt: { token_ids: [1, 2, 3], raw_content: multiTurn.turns[0]!.input_messages, image_urls: [] },
      response: {
        token_ids: [4, 5],
        raw_content: [{ role: 'assistant', content: 'Hello! How can I help?' }],
        logprobs: [-0.1, -0.2],
      },
      reward: 1,
      metadata: expect.objectContaining({
        trajectory_id: multiTurn.id,
        rollout_id: 'rollout-traj-multi-turn',
        turn_index: 0,
        model: 'gpt-4o-mini',
        reward_column: 'final',
      }),
    });
    expect(records[1]!.prompt).not.toHaveProperty('token_ids');
    expect(records[1]!.response).not.toHaveProperty('logprobs');
  });

  it('gives each call its own per-turn credit', () => {
    const { records } = convert('agent-lightning', [weatherToolCall], { credit: 'discounted' });
    expect(records.map((record) => record.reward)).toEqual([0.9, 1]);
    expect(records[0]!.response.raw_content[0].tool_calls[0].function.arguments).toBe('{"city":"Paris"}');
    expect(records[0]!.metadata.tool_calls).toEqual([
      { name: 'get_weather', call_id: 'call_1', status: 'ok', air_reward: 0.1 },
    ]);
  });
});

describe('agent-lightning call ids', () => {
  const idLess = (city: string) => ({ ...call('', 'get_weather', { city }) });
  const calling = { role: 'assistant' as const, content: null, tool_calls: [idLess('Paris'), idLess('London')] };
  const ask = { role: 'user' as const, content: 'Is it warmer in Paris or London?' };
  const idLessCalls = trajectory('traj-id-less-calls', 'task-id-less-calls', 1, [
    {
      input: [ask],
      output: calling,
      tools: [
        execution('', 'get_weather', { city: 'Paris' }, '18C'),
        execution('', 'get_weather', { city: 'London' }, '12C'),
      ],
    },
    {
      input: [ask, calling, { role: 'tool', content: '18C' }, { role: 'tool', content: '12C' }],
      output: { role: 'assistant', content: 'Paris.' },
    },
  ]);

  it('gives calls logged without an id call_<turn>_<position> in responses, later prompts, tool messages and metadata', () => {
    const { records } = convert('agent-lightning', [idLessCalls]);
    const ids = ['call_0_0', 'call_0_1'];
    expect(records[0]!.response.raw_content[0].tool_calls.map((toolCall: any) => toolCall.id)).toEqual(ids);
    expect(records[0]!.metadata.tool_calls.map((toolCall: any) => toolCall.call_id)).toEqual(ids);
    const prompt = records[1]!.prompt.raw_content;
    expect(prompt[1].tool_calls.map((toolCall: any) => toolCall.id)).toEqual(ids);
    expect(prompt.slice(2).map((message: any) => message.tool_call_id)).toEqual(ids);
    // The same ids the conversation formats write.
    const sft = convert('openai-sft', [idLessCalls]).records[0]!.messages;
    expect(sft[1].tool_calls.map((toolCall: any) => toolCall.id)).toEqual(ids);
  });
});

describe('openai-sft', () => {
  it('writes the conversation with string arguments, answered tool calls, tools and parallel_tool_calls', () => {
    const { records } = convert('openai-sft', [weatherToolCall]);
    expect(records[0]).toEqual({
      messages: [
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: 'What is the weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', content: '18C, sunny', tool_call_id: 'call_1' },
        { role: 'assistant', content: 'It is 18C and sunny in Paris.' },
      ],
      tools: [weatherToolJson],
      parallel_tool_calls: false,
    });
  });

  it('fills parallel tool results from the tool executions so every call is answered', () => {
    const { records } = convert('openai-sft', [parallelToolCalls]);
    const messages = records[0]!.messages;
    expect(records[0]!.parallel_tool_calls).toBe(true);
    expect(messages[1].tool_calls.map((toolCall: any) => toolCall.id)).toEqual(['call_a', 'call_b']);
    expect(messages.slice(2, 4)).toEqual([
      { role: 'tool', content: '18C', tool_call_id: 'call_a' },
      { role: 'tool', content: '12C', tool_call_id: 'call_b' },
    ]);
    const callIds = new Set(
      messages.flatMap((message: any) => (message.tool_calls ?? []).map((toolCall: any) => toolCall.id)),
    );
    for (const message of messages.filter((item: any) => item.role === 'tool'))
      expect(callIds.has(message.tool_call_id)).toBe(true);
  });

  it('adds 0/1 weights from credit on generated assistant messages', () => {
    const { records } = convert('openai-sft', [multiTurn, weatherNoTool], { weightThreshold: 0 });
    expect(
      records[0]!.messages.filter((message: any) => message.role === 'assistant').map((message: any) => message.weight),
    ).toEqual([1, 1]);
    expect(records[1]!.messages.at(-1)).toEqual({
      role: 'assistant',
      content: 'I cannot know the weather.',
      weight: 0,
    });
  });

  it('exports unrewarded trajectories only when asked, without weights', () => {
    const { records, skipped } = convert('openai-sft', [unrewarded], { includeUnrewarded: true, weightThreshold: 0 });
    expect(skipped).toEqual([]);
    expect(records[0]!.messages).toEqual([
      { role: 'user', content: 'Weather in London?' },
      { role: 'assistant', content: 'Probably rainy.' },
    ]);
  });
});

describe('openai-dpo', () => {
  it('pairs same-task trajectories whose rewards differ by the margin, diverging at the first assistant message', () => {
    const { records, skipped } = convert('openai-dpo');
    expect(records).toHaveLength(1);
    expect(records[0]).toEqual({
      input: {
        messages: [
          { role: 'system', content: 'You are a weather bot.' },
          { role: 'user', content: 'What is the weather in Paris?' },
        ],
        tools: [weatherToolJson],
        parallel_tool_calls: false,
      },
      preferred_output: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
      ],
      non_preferred_output: [{ role: 'assistant', content: 'I cannot know the weather.' }],
    });
    expect(skipped.find((item) => item.trajectory_id === multiTurn.id)?.reason).toMatch(/no pair/);
  });

  it('makes no pair when the rewards differ by less than the margin', () => {
    const { records, skipped } = convert('openai-dpo', [weatherToolCall, weatherNoTool], { preferenceMargin: 1.5 });
    expect(records).toEqual([]);
    expect(skipped.map((item) => item.trajectory_id).sort()).toEqual([weatherNoTool.id, weatherToolCall.id].sort());
  });
});

describe('openai-rft and fireworks', () => {
  it.each([
    ['openai-rft', 'developer'],
    ['fireworks', 'system'],
  ])('%s writes one row per task ending with the user message plus ground_truth, instructions as %s', (name, role) => {
    const { records, skipped } = convert(name);
    const weather = records.find((record) => record.messages.at(-1).content === 'What is the weather in Paris?')!;
    expect(weather).toEqual({
      messages: [
        { role, content: 'You are a weather bot.' },
        { role: 'user', content: 'What is the weather in Paris?' },
      ],
      tools: [weatherToolJson],
      ground_truth: 'It is 18C and sunny in Paris.',
    });
    expect(skipped.map((item) => item.trajectory_id)).not.toContain(weatherNoTool.id);
  });

  it.each(['openai-rft', 'fireworks'])(
    '%s counts every rewarded trajectory of an exported task as exported, so no later run re-exports the task',
    async (name) => {
      const source: TrajectorySource = {
        list: () => Promise.resolve({ trajectories: [], next_cursor: null }),
        getMany: (ids) => Promise.resolve(ids.map((id) => goldenTrajectories.find((candidate) => candidate.id === id))),
      };
      const summary = await writeTrajectories([weatherToolCall, weatherNoTool], {
        source,
        format: getExportFormat(name),
        options: defaultFormatOptions,
        out: join(temporaryDirectory(), 'rft.jsonl'),
        encoding: 'jsonl',
      });
      expect(summary.records).toBe(1);
      expect(summary.exportedIds.sort()).toEqual([weatherNoTool.id, weatherToolCall.id].sort());
      expect(summary.skipped).toEqual([]);
    },
  );

  it('share one conversion and differ only in the role of the instructions', () => {
    for (const variant of Object.keys(optionVariants)) {
      const [openAI, fireworks] = ['openai-rft', 'fireworks'].map((name) =>
        readFileSync(goldenFile(name, variant, 'jsonl'), 'utf8'),
      );
      expect(openAI).not.toContain('"role":"system"');
      expect(openAI!.replaceAll('"role":"developer"', '"role":"system"')).toBe(fireworks);
    }
  });

  it('fireworks skips a prompt with content eval-protocol cannot carry (an image part); openai-rft keeps it', () => {
    const withImage = {
      ...weatherToolCall,
      id: 'traj-image',
      task_id: 'task-image',
      turns: weatherToolCall.turns.map((turn, index) =>
        index === 0
          ? {
              ...turn,
              input_messages: [
                {
                  role: 'user' as const,
                  content: [
                    { type: 'text', text: 'Weather where this photo was taken?' },
                    { type: 'image_url', image_url: { url: 'https://example.com/paris.jpg' } },
                  ],
                },
              ],
            }
          : turn,
      ),
    };
    expect(convert('fireworks', [withImage]).skipped).toEqual([
      {
        trajectory_id: 'traj-image',
        reason: 'a user message has content of type image_url (eval-protocol messages take text only)',
      },
    ]);
    expect(convert('openai-rft', [withImage]).records).toHaveLength(1);
  });

  it('takes reference fields from a configurable source and skips trajectories without it', () => {
    const { records, skipped } = convert('openai-rft', [weatherToolCall, multiTurn], {
      referenceFields: { reference_answer: 'tool:get_weather' },
    });
    expect(records).toEqual([expect.objectContaining({ reference_answer: '18C, sunny' })]);
    expect(skipped).toEqual([
      { trajectory_id: multiTurn.id, reason: 'no value for reference field reference_answer (tool:get_weather)' },
    ]);
  });
});

describe('trl', () => {
  it('trl-sft uses object arguments and named tool messages, as TRL documents tool calling', () => {
    const { records } = convert('trl-sft', [weatherToolCall]);
    expect(records[0]).toEqual({
      messages: [
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: 'What is the weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } }],
        },
        { role: 'tool', content: '18C, sunny', name: 'get_weather', tool_call_id: 'call_1' },
        { role: 'assistant', content: 'It is 18C and sunny in Paris.' },
      ],
      tools: [weatherToolJson],
    });
  });

  it('trl-sft keeps both parallel calls and both named results', () => {
    const { records } = convert('trl-sft', [parallelToolCalls]);
    const messages = records[0]!.messages;
    expect(messages[1].tool_calls.map((toolCall: any) => toolCall.function.arguments)).toEqual([
      { city: 'Paris' },
      { city: 'London' },
    ]);
    expect(messages.filter((message: any) => message.role === 'tool').map((message: any) => message.name)).toEqual([
      'get_weather',
      'get_weather',
    ]);
  });

  it('trl-dpo writes prompt, chosen and rejected continuations', () => {
    const { records } = convert('trl-dpo');
    expect(records).toHaveLength(1);
    expect(records[0]!.prompt.map((message: any) => message.role)).toEqual(['system', 'user']);
    expect(records[0]!.chosen.map((message: any) => message.role)).toEqual(['assistant', 'tool', 'assistant']);
    expect(records[0]!.chosen[1]).toEqual({
      role: 'tool',
      content: '18C, sunny',
      name: 'get_weather',
      tool_call_id: 'call_1',
    });
    expect(records[0]!.rejected).toEqual([{ role: 'assistant', content: 'I cannot know the weather.' }]);
  });

  it('trl-dpo skips both runs of a pair whose calls cannot be written with a reason, and the export goes on', () => {
    const [good, bad] = [weatherToolCall, weatherNoTool].map((value) => ({
      ...value,
      id: `${value.id}-unparsable`,
      task_id: 'task-unparsable',
      turns: value.turns.map((turn) => ({
        ...turn,
        output_message: turn.output_message?.tool_calls
          ? {
              ...turn.output_message,
              tool_calls: turn.output_message.tool_calls.map((call) => ({
                ...call,
                function: { ...call.function, arguments: '{city: Paris' },
              })),
            }
          : turn.output_message,
      })),
    })) as [Trajectory, Trajectory];
    const { records, skipped } = convert('trl-dpo', [good, bad, weatherToolCall, weatherNoTool]);
    expect(records).toHaveLength(1);
    expect(skipped).toEqual([
      { trajectory_id: good.id, reason: 'arguments of a get_weather call are not JSON' },
      { trajectory_id: bad.id, reason: 'arguments of a get_weather call are not JSON' },
    ]);
  });

  it('trl-kto labels by the reward threshold', () => {
    const { records } = convert('trl-kto', [weatherToolCall, weatherNoTool, multiTurn]);
    expect(records.map((record) => record.label)).toEqual([true, false, true]);
    expect(records[2]!.prompt).toEqual([
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'Hi!' },
    ]);
    expect(records[2]!.completion.map((message: any) => message.content)).toEqual([
      'Hello! How can I help?',
      'What is 6*7?',
      '42',
    ]);
  });

  it('trl-grpo writes the prompt with reward and advantage columns', () => {
    const { records } = convert('trl-grpo', [weatherToolCall], { credit: 'air_shaped' });
    expect(records[0]).toEqual({
      prompt: [
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: 'What is the weather in Paris?' },
      ],
      tools: [weatherToolJson],
      reward: 0.9 + 0.1,
      advantage: 0.5,
      task_id: 'task-weather',
      trajectory_id: weatherToolCall.id,
    });
  });
});
