/**
 * Hand-built trajectories in the exact shape `GET /v1/trajectories/{id}` serves (src/model/trajectory.ts), each
 * exercising one case the formats must get right: tool calls, parallel tool calls, multi-turn conversations,
 * system prompts, token ids, a same-task pair with different rewards, and a trajectory without a reward.
 */
import type { Message, ToolDefinition } from '../../src/model/message.ts';
import { trajectorySchema, type ToolExecution, type Trajectory, type Turn } from '../../src/model/trajectory.ts';

export const weatherTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

const system: Message = { role: 'system', content: 'You are a weather bot.' };

export function call(id: string, name: string, args: Record<string, unknown>) {
  return { id, type: 'function' as const, function: { name, arguments: JSON.stringify(args) } };
}

export function execution(
  id: string,
  name: string,
  args: Record<string, unknown>,
  result: string | null,
  status: ToolExecution['status'] = 'ok',
): ToolExecution {
  return {
    name,
    call_id: id,
    arguments: JSON.stringify(args),
    result,
    status,
    result_source: result === null ? 'none' : 'tool_span',
    span_id: result === null ? '' : `tool-${id}`,
    air_reward: status === 'ok' ? 0.1 : -0.1,
  };
}

export interface TurnSpec {
  input: Message[];
  output: Message | null;
  tools?: ToolExecution[];
  finish?: string;
  extra?: Partial<Turn>;
}

/** A trajectory from per-turn prompts; `new_messages` is what the previous prompt did not show (override in `extra`). */
export function trajectory(
  id: string,
  taskId: string,
  finalReward: number | null,
  turns: TurnSpec[],
  extra: Partial<Trajectory> = {},
): Trajectory {
  const builtTurns: Turn[] = turns.map((spec, index) => {
    const previousInput = index === 0 ? [] : (turns[index - 1]?.input ?? []);
    return {
      index,
      span_id: `${id}-llm-${index}`,
      model: 'gpt-4o-mini',
      provider: 'openai',
      status: spec.output ? 'ok' : 'error',
      input_messages: spec.input,
      new_messages: spec.input.slice(previousInput.length + (index === 0 ? 0 : 1)),
      output_message: spec.output,
      finish_reason: spec.finish ?? (spec.output?.tool_calls ? 'tool_calls' : 'stop'),
      tool_calls: spec.tools ?? [],
      input_tokens: 100,
      output_tokens: 20,
      latency_ms: 300,
      start_time_unix_nano: String(1_700_000_000_000_000_000n + BigInt(index) * 1_000_000_000n),
      air_reward: (spec.tools ?? []).reduce((sum, tool) => sum + tool.air_reward, 0),
      ...spec.extra,
    };
  });
  const count = builtTurns.length;
  const value: Trajectory = {
    id,
    tenant: 'default',
    trace_id: `${id}-trace`.padEnd(32, '0').slice(0, 32),
    root_span_id: `${id}-root`,
    parent_trajectory_id: '',
    agent_name: 'weather-agent',
    agent_id: 'agent-1',
    task: `task ${taskId}`,
    task_id: taskId,
    conversation_id: '',
    rollout_id: `rollout-${id}`,
    attempt_id: `attempt-${id}`,
    start_time_unix_nano: '1700000000000000000',
    end_time_unix_nano: '1700000005000000000',
    duration_ms: 5000,
    turn_count: count,
    tool_call_count: builtTurns.reduce((sum, turn) => sum + turn.tool_calls.length, 0),
    error_count: 0,
    input_tokens: 100 * count,
    output_tokens: 20 * count,
    final_reward: finalReward,
    outcome: finalReward === null ? 'unknown' : finalReward > 0.5 ? 'success' : 'failure',
    complete: true,
    tools: [weatherTool],
    turns: builtTurns,
    rewards:
      finalReward === null
        ? []
        : [
            {
              name: 'correct',
              value: finalReward,
              source: 'span',
              comment: '',
              span_id: `${id}-reward`,
              time_unix_nano: '1700000005000000000',
            },
          ],
    credit: builtTurns.map((turn) => ({
      turn_index: turn.index,
      span_id: turn.span_id,
      identical: finalReward,
      discounted: finalReward === null ? null : finalReward * 0.9 ** (count - 1 - turn.index),
      air_shaped: finalReward === null ? null : finalReward * 0.9 ** (count - 1 - turn.index) + turn.air_reward,
      advantage: finalReward === null ? null : finalReward - 0.5,
    })),
    ...extra,
  };
  return trajectorySchema.parse(value);
}

const askParis: Message = { role: 'user', content: 'What is the weather in Paris?' };
const parisCall = call('call_1', 'get_weather', { city: 'Paris' });

/** System prompt, one tool call, final answer; reward 1. */
export const weatherToolCall = trajectory('traj-weather-good', 'task-weather', 1, [
  {
    input: [system, askParis],
    output: { role: 'assistant', content: null, tool_calls: [parisCall] },
    tools: [execution('call_1', 'get_weather', { city: 'Paris' }, '18C, sunny')],
  },
  {
    input: [
      system,
      askParis,
      { role: 'assistant', content: null, tool_calls: [parisCall] },
      { role: 'tool', content: '18C, sunny', tool_call_id: 'call_1' },
    ],
    output: { role: 'assistant', content: 'It is 18C and sunny in Paris.' },
  },
]);

/** Same task, answers without the tool; reward 0: the rejected side of a preference pair. */
export const weatherNoTool = trajectory('traj-weather-bad', 'task-weather', 0, [
  { input: [system, askParis], output: { role: 'assistant', content: 'I cannot know the weather.' } },
]);

const parallelCalls = [
  call('call_a', 'get_weather', { city: 'Paris' }),
  call('call_b', 'get_weather', { city: 'London' }),
];

/**
 * Two parallel tool calls in one assistant message. The convention did not log tool messages as input of the
 * next call (some SDKs do not), so their results come from the tool executions.
 */
export const parallelToolCalls = trajectory('traj-parallel', 'task-compare', 0.8, [
  {
    input: [{ role: 'user', content: 'Is it warmer in Paris or London?' }],
    output: { role: 'assistant', content: null, tool_calls: parallelCalls },
    tools: [
      execution('call_a', 'get_weather', { city: 'Paris' }, '18C'),
      execution('call_b', 'get_weather', { city: 'London' }, '12C'),
    ],
  },
  {
    input: [
      { role: 'user', content: 'Is it warmer in Paris or London?' },
      { role: 'assistant', content: null, tool_calls: parallelCalls },
    ],
    output: { role: 'assistant', content: 'Paris is warmer (18C vs 12C).' },
  },
]);

/** Two user turns, with token ids and logprobs recorded on the first call (Agent Lightning / vLLM spans). */
export const multiTurn = trajectory('traj-multi-turn', 'task-math', 1, [
  {
    input: [
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'Hi!' },
    ],
    output: { role: 'assistant', content: 'Hello! How can I help?' },
    extra: { prompt_token_ids: [1, 2, 3], response_token_ids: [4, 5], logprobs: [-0.1, -0.2] },
  },
  {
    input: [
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'Hi!' },
      { role: 'assistant', content: 'Hello! How can I help?' },
      { role: 'user', content: 'What is 6*7?' },
    ],
    output: { role: 'assistant', content: '42' },
  },
]);

/** Complete but never rewarded: every format must skip it with a reason (SFT only on request). */
export const unrewarded = trajectory('traj-unrewarded', 'task-weather-london', null, [
  {
    input: [{ role: 'user', content: 'Weather in London?' }],
    output: { role: 'assistant', content: 'Probably rainy.' },
  },
]);

export const goldenTrajectories: Trajectory[] = [
  weatherToolCall,
  weatherNoTool,
  parallelToolCalls,
  multiTurn,
  unrewarded,
];
