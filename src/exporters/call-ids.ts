/**
 * Ids for tool calls a convention logged without one. Every format writes `call_<turn>_<position>` for them (and
 * `call_h<index>_<position>` for history no turn of the trajectory generated), on the assistant message and on the
 * tool messages and executions that answer them, so parallel id-less calls stay distinguishable and each result
 * stays paired with its call. The conversation formats assign them while rebuilding the conversation
 * (conversation.ts); `turnWithCallIds` gives one LLM call's own input and output the same ids, for formats that
 * write each call on its own (Agent Lightning triplets).
 */
import type { Message } from '../model/message.ts';
import type { Trajectory, Turn } from '../model/trajectory.ts';

function contentKey(content: Message['content']): string {
  if (content === null || content === '') return '';
  return typeof content === 'string' ? content : JSON.stringify(content);
}

/**
 * Whether two messages are the same for matching a prompt against the conversation so far: role, content (loggers
 * differ in null vs ''), the call id answered and the ids called. Compared field by field rather than through a
 * key string, since every turn's prompt is matched against the whole conversation.
 */
export function sameMessage(a: Message, b: Message): boolean {
  if (a === b) return true;
  if (a.role !== b.role || (a.tool_call_id ?? '') !== (b.tool_call_id ?? '')) return false;
  const aCalls = a.tool_calls ?? [];
  const bCalls = b.tool_calls ?? [];
  if (aCalls.length !== bCalls.length || aCalls.some((call, index) => call.id !== bCalls[index]?.id)) return false;
  const aContent = a.content;
  const bContent = b.content;
  if (typeof aContent === 'string' && typeof bContent === 'string') return aContent === bContent;
  return contentKey(aContent) === contentKey(bContent);
}

/** Identity of an assistant message including what it called, to recognise an earlier output replayed in a prompt. */
function outputKey(message: Message): string {
  const calls = (message.tool_calls ?? []).map((call) => [call.id, call.function.name, call.function.arguments]);
  return JSON.stringify([message.role, contentKey(message.content), calls]);
}

/**
 * Calls logged without an id get `call_<turn>_<position>` so parallel id-less calls stay distinguishable.
 * `scope` is the turn index for a turn's output and `h<position in the conversation>` for history in a prompt.
 */
export function withCallIds(message: Message, scope: string): Message {
  if (!message.tool_calls?.some((call) => call.id === '')) return message;
  return {
    ...message,
    tool_calls: message.tool_calls.map((call, position) =>
      call.id === '' ? { ...call, id: `call_${scope}_${position}` } : call,
    ),
  };
}

export interface TurnWithCallIds {
  input: Message[];
  output: Message | null;
  /** The call id of each of the turn's tool executions, in order (an id-less one answers the next id-less call). */
  executionCallIds: string[];
}

/**
 * One LLM call's input and output with ids for id-less calls: an assistant message in the input that is an
 * earlier turn's output gets that turn's ids, other history `call_h<index>_<position>`, and a tool message without
 * an id answers the first id-less call of the assistant message before it that is still unanswered.
 */
export function turnWithCallIds(trajectory: Trajectory, turn: Turn): TurnWithCallIds {
  const earlier = new Map<string, number[]>();
  for (const previous of trajectory.turns) {
    if (previous.index >= turn.index || !previous.output_message) continue;
    const key = outputKey(previous.output_message);
    earlier.set(key, [...(earlier.get(key) ?? []), previous.index]);
  }
  let openIdLess: string[] = [];
  const input = turn.input_messages.map((message, index) => {
    if (message.role === 'assistant' && message.tool_calls?.some((call) => call.id === '')) {
      const turns = earlier.get(outputKey(message));
      const scope = turns?.length ? String(turns.shift()) : `h${index}`;
      const withIds = withCallIds(message, scope);
      openIdLess = (withIds.tool_calls ?? [])
        .filter((_call, position) => message.tool_calls?.[position]?.id === '')
        .map((call) => call.id);
      return withIds;
    }
    if (message.role === 'assistant') openIdLess = [];
    if (message.role !== 'tool' || message.tool_call_id) return message;
    const id = openIdLess.shift();
    return id === undefined ? message : { ...message, tool_call_id: id };
  });
  const output = turn.output_message ? withCallIds(turn.output_message, String(turn.index)) : null;
  const idLessOutputCalls = (output?.tool_calls ?? [])
    .filter((_call, position) => turn.output_message?.tool_calls?.[position]?.id === '')
    .map((call) => call.id);
  const executionCallIds = turn.tool_calls.map((execution) =>
    execution.call_id === '' ? (idLessOutputCalls.shift() ?? '') : execution.call_id,
  );
  return { input, output, executionCallIds };
}
