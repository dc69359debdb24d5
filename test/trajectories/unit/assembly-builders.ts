/**
 * Hand-built inputs for the unit tests of the pure assembly functions. Every field of a span defaults to what an
 * unremarkable stored span holds ('' and [] and status ok), so a test names only the fields its rule reads.
 * Times are whole seconds after a fixed base, converted to the nanosecond bigints the assembly compares.
 */
import type { Message } from '../../../src/model/message.ts';
import type { AssemblySpan } from '../../../src/trajectories/assembly-input.ts';
import type { RewardEntry } from '../../../src/trajectories/collect-rewards.ts';

export const traceId = '0af7651916cd43dd8448eb211c80319c';
export const otherTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Nanoseconds of `seconds` (fractions down to the nanosecond) after the epoch. */
export function at(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e9));
}

export type SpanFields = Partial<Omit<AssemblySpan, 'span_id' | 'parent_span_id' | 'start' | 'end'>> & {
  id: string;
  parent?: string;
  /** Seconds. */
  start?: number;
  /** Seconds; defaults to the start. */
  end?: number;
};

export function span({ id, parent = '', start = 0, end = start, ...fields }: SpanFields): AssemblySpan {
  const startNanos = at(start);
  const endNanos = at(end);
  return {
    trace_id: traceId,
    span_id: id,
    parent_span_id: parent,
    kind: 'other',
    status: 'ok',
    start: startNanos,
    end: endNanos,
    start_time_unix_nano: startNanos.toString(),
    end_time_unix_nano: endNanos.toString(),
    ingested_ms: 0,
    provider: '',
    model: '',
    input_tokens: null,
    output_tokens: null,
    cache_read_tokens: null,
    cache_creation_tokens: null,
    reasoning_tokens: null,
    error_type: '',
    input_messages: [],
    output_messages: [],
    tool_definitions: [],
    tool_name: '',
    tool_call_id: '',
    tool_arguments: '',
    tool_result: '',
    agent_name: '',
    agent_id: '',
    conversation_id: '',
    task_id: '',
    task: '',
    first_user_text: '',
    rollout_id: '',
    attempt_id: '',
    rewards: [],
    events: [],
    ...fields,
  };
}

export const agent = (fields: SpanFields): AssemblySpan => span({ kind: 'agent', ...fields });

/** An LLM call; `output` is its one output message (omit it for a call that produced none). */
export function llm(fields: SpanFields & { input?: Message[]; output?: Message }): AssemblySpan {
  const { input = [], output, ...rest } = fields;
  return span({ kind: 'llm', input_messages: input, output_messages: output ? [output] : [], ...rest });
}

/** A tool execution; `callId` '' is a span that recorded no tool call id. */
export function tool(fields: SpanFields & { name: string; callId?: string; result?: string }): AssemblySpan {
  const { name, callId = '', result = '', ...rest } = fields;
  return span({
    kind: 'tool',
    tool_name: name,
    tool_call_id: callId,
    tool_arguments: '{}',
    tool_result: result,
    ...rest,
  });
}

export const rewardSpan = (fields: SpanFields & { rewards: AssemblySpan['rewards'] }): AssemblySpan =>
  span({ kind: 'reward', ...fields });

export const system = (content: string): Message => ({ role: 'system', content });
export const user = (content: string): Message => ({ role: 'user', content });
export const assistant = (content: string | null, ...calls: NonNullable<Message['tool_calls']>): Message =>
  calls.length > 0 ? { role: 'assistant', content, tool_calls: calls } : { role: 'assistant', content };
export const toolCall = (
  id: string,
  name: string,
  args: string = '{}',
): NonNullable<Message['tool_calls']>[number] => ({ id, type: 'function', function: { name, arguments: args } });
export const toolMessage = (callId: string, content: string): Message => ({
  role: 'tool',
  content,
  tool_call_id: callId,
});

/** A reward as collectRewards produces it, for the final-reward and ordering rules. */
export function reward(fields: Partial<RewardEntry> & Pick<RewardEntry, 'source' | 'value'>): RewardEntry {
  return {
    trajectory_id: 'trajectory',
    root_trajectory_id: 'trajectory',
    name: 'score',
    comment: '',
    span_id: '',
    time: 0n,
    dimension: 0,
    ...fields,
  };
}
