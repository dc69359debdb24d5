/**
 * Rebuilds one trajectory as a single chat conversation: the first call's prompt, then for each LLM call the
 * messages it saw for the first time and the assistant message it produced. Every format starts from this list.
 * Assistant messages the model generated in this trajectory carry their turn index (the trainable ones: ART
 * Choices, SFT weights, credit); everything else (system, user, tool results, replayed history) has none.
 * Tool results a convention did not log as input messages are filled in from the turn's tool executions, and
 * tool messages that answer no earlier tool call are dropped, so every tool message answers an existing call id.
 */
import type { Message } from '../model/message.ts';
import type { Trajectory, Turn } from '../model/trajectory.ts';

export interface ConversationMessage {
  message: Message;
  /** The turn that generated this assistant message; undefined for prompt, tool and replayed messages. */
  turnIndex?: number;
}

function contentKey(content: Message['content']): string {
  if (content === null || content === '') return '';
  return typeof content === 'string' ? content : JSON.stringify(content);
}

/** Identity of a message for matching a prompt against the conversation so far (loggers differ in null vs ''). */
function messageKey(message: Message): string {
  const calls = (message.tool_calls ?? []).map((call) => call.id).join(',');
  return `${message.role}\u0000${contentKey(message.content)}\u0000${message.tool_call_id ?? ''}\u0000${calls}`;
}

/** The messages of `turn`'s prompt that the conversation does not have yet. */
function newInputMessages(conversation: ConversationMessage[], turn: Turn): Message[] {
  const input = turn.input_messages;
  const prefixMatches =
    input.length >= conversation.length &&
    conversation.every((entry, index) => messageKey(entry.message) === messageKey(input[index] as Message));
  if (prefixMatches) return input.slice(conversation.length);
  // The prompt was trimmed or rewritten (context management): trust the assembler's new_messages, minus any
  // replay of what the conversation already holds at its end.
  const seen = new Set(conversation.slice(-Math.max(turn.new_messages.length, 1) * 2).map((entry) => messageKey(entry.message)));
  return turn.new_messages.filter((message) => !seen.has(messageKey(message)));
}

function toolResultMessages(turn: Turn, answered: Set<string>): Message[] {
  return turn.tool_calls
    .filter((execution) => execution.result !== null && !answered.has(execution.call_id))
    .map((execution) => ({ role: 'tool', content: execution.result, tool_call_id: execution.call_id, name: execution.name }));
}

function stripOutputFields(message: Message): Message {
  const { finish_reason: _finishReason, ...rest } = message;
  return rest;
}

export interface ConversationOptions {
  /** Append the results of the last turn's tool calls (no model output follows them). @default false */
  trailingToolResults?: boolean;
}

export function buildConversation(trajectory: Trajectory, options: ConversationOptions = {}): ConversationMessage[] {
  const conversation: ConversationMessage[] = [];
  const openCalls = new Set<string>();
  const answered = new Set<string>();
  const push = (message: Message, turnIndex?: number) => {
    if (message.role === 'tool') {
      const id = message.tool_call_id;
      if (id === undefined || !openCalls.has(id) || answered.has(id)) return;
      answered.add(id);
    }
    for (const call of message.tool_calls ?? []) openCalls.add(call.id);
    conversation.push(turnIndex === undefined ? { message } : { message, turnIndex });
  };
  let previous: Turn | undefined;
  for (const turn of trajectory.turns) {
    const fresh = newInputMessages(conversation, turn);
    if (previous && fresh.every((message) => message.role !== 'tool')) {
      for (const message of toolResultMessages(previous, answered)) push(message);
    }
    for (const message of fresh) push(stripOutputFields(message));
    if (turn.output_message) push(stripOutputFields(turn.output_message), turn.index);
    previous = turn;
  }
  if (previous && options.trailingToolResults) {
    for (const message of toolResultMessages(previous, answered)) push(message);
  }
  return conversation;
}

/** The prompt the task started from: the first call's input, up to and including its last user message. */
export function taskPrompt(trajectory: Trajectory): Message[] | undefined {
  const first = trajectory.turns[0];
  if (!first) return undefined;
  const input = first.input_messages.map(stripOutputFields);
  let lastUser = -1;
  input.forEach((message, index) => {
    if (message.role === 'user') lastUser = index;
  });
  return lastUser < 0 ? undefined : input.slice(0, lastUser + 1);
}

/** Index of the first message the model generated in this trajectory, -1 when none. */
export function firstGeneratedIndex(conversation: ConversationMessage[]): number {
  return conversation.findIndex((entry) => entry.turnIndex !== undefined);
}

/** Drops trailing messages after the last generated assistant message (nothing learns from them). */
export function endAtLastGenerated(conversation: ConversationMessage[]): ConversationMessage[] {
  let last = -1;
  conversation.forEach((entry, index) => {
    if (entry.turnIndex !== undefined) last = index;
  });
  return conversation.slice(0, last + 1);
}

/** Plain text of a message's content (text parts joined). */
export function contentText(content: Message['content']): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part) => (part.type === 'text' && typeof part['text'] === 'string' ? part['text'] : ''))
    .join('');
}

/** The last assistant text the model produced, the trajectory's answer. */
export function finalAnswer(trajectory: Trajectory): string | undefined {
  for (let index = trajectory.turns.length - 1; index >= 0; index--) {
    const output = trajectory.turns[index]?.output_message;
    const text = output ? contentText(output.content) : '';
    if (text !== '') return text;
  }
  return undefined;
}

/** Groups trajectories by task id, keeping first-seen order. */
export function groupByTask(trajectories: Trajectory[]): Trajectory[][] {
  const groups = new Map<string, Trajectory[]>();
  for (const trajectory of trajectories) {
    const key = trajectory.task_id || trajectory.id;
    const group = groups.get(key);
    if (group) group.push(trajectory);
    else groups.set(key, [trajectory]);
  }
  return [...groups.values()];
}
