/**
 * Trajectories whose tool calls stress what loaders and chat templates get wrong: two tools whose arguments have
 * different keys (a fixed Parquet struct would give every call both tools' keys), an argument that is `null`, one
 * that is an empty object, and a tool call with no arguments at all. One call per assistant message, so Llama-3.1's
 * template (single tool calls only) can render them too. Both trajectories share a task and differ in reward, so
 * the preference formats pair them.
 */
import type { Message, ToolDefinition } from '../../src/model/message.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import { call, execution, trajectory, weatherTool } from './golden-trajectories.ts';

export const convertTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'convert_units',
    description: 'Converts a temperature',
    parameters: {
      type: 'object',
      properties: { value: { type: 'number' }, to: { type: ['string', 'null'] }, options: { type: 'object' } },
      required: ['value'],
    },
  },
};

export const clockTool: ToolDefinition = {
  type: 'function',
  function: { name: 'local_time', description: 'The local time', parameters: { type: 'object', properties: {} } },
};

const system: Message = { role: 'system', content: 'You are a weather bot.' };
const ask: Message = { role: 'user', content: 'How warm is Paris in Fahrenheit, and what time is it there?' };
const weatherCall = call('call_w', 'get_weather', { city: 'Paris' });
const convertCall = call('call_c', 'convert_units', { value: 18, to: null, options: {} });
const clockCall = call('call_t', 'local_time', {});

const first: Message = { role: 'assistant', content: null, tool_calls: [weatherCall] };
const second: Message = { role: 'assistant', content: null, tool_calls: [convertCall] };
const third: Message = { role: 'assistant', content: null, tool_calls: [clockCall] };

/** Three single-call turns through three different tools, then the answer; reward 1. */
export const threeTools: Trajectory = trajectory(
  'traj-three-tools',
  'task-three-tools',
  1,
  [
    {
      input: [system, ask],
      output: first,
      tools: [execution('call_w', 'get_weather', { city: 'Paris' }, '18C')],
    },
    {
      input: [system, ask, first, { role: 'tool', content: '18C', tool_call_id: 'call_w' }],
      output: second,
      tools: [execution('call_c', 'convert_units', { value: 18, to: null, options: {} }, '64.4F')],
    },
    {
      input: [
        system,
        ask,
        first,
        { role: 'tool', content: '18C', tool_call_id: 'call_w' },
        second,
        { role: 'tool', content: '64.4F', tool_call_id: 'call_c' },
      ],
      output: third,
      tools: [execution('call_t', 'local_time', {}, '14:05')],
    },
    {
      input: [
        system,
        ask,
        first,
        { role: 'tool', content: '18C', tool_call_id: 'call_w' },
        second,
        { role: 'tool', content: '64.4F', tool_call_id: 'call_c' },
        third,
        { role: 'tool', content: '14:05', tool_call_id: 'call_t' },
      ],
      output: { role: 'assistant', content: 'It is 64.4F in Paris, and 14:05 there.' },
    },
  ],
  { tools: [weatherTool, convertTool, clockTool] },
);

/** Same task, answered without tools; reward 0. */
export const guessed: Trajectory = trajectory(
  'traj-guessed',
  'task-three-tools',
  0,
  [{ input: [system, ask], output: { role: 'assistant', content: 'Probably warm, around noon.' } }],
  { tools: [weatherTool, convertTool, clockTool] },
);

export const toolTrajectories: Trajectory[] = [threeTools, guessed];
