/**
 * Rebuilds one trajectory as a single chat conversation: the first call's prompt, then for each LLM call the
 * messages it saw for the first time and the assistant message it produced. Every format starts from this list.
 * Assistant messages the model generated in this trajectory carry their turn index (the trainable ones: ART
 * Choices, SFT weights, credit); everything else (system, user, tool results, replayed history) has none.
 * Tool results a convention did not log as input messages are filled in from the turn's tool executions (after the
 * ones it did log), calls logged without an id get `call_<turn>_<position>`, and a tool message that answers no
 * open call of the assistant message before it is dropped, so every tool message answers exactly one call.
 */
import type { Message } from '../model/message.ts';
import type { Trajectory, Turn } from '../model/trajectory.ts';
import { sameMessage, withCallIds } from './call-ids.ts';

export interface ConversationMessage {
  message: Message;
  /** The turn that generated this assistant message; undefined for prompt, tool and replayed messages. */
  turnIndex?: number;
}

/** The messages of `turn`'s prompt that the conversation (`logged`: its messages as logged) does not have yet. */
function newInputMessages(logged: Message[], turn: Turn): Message[] {
  const input = turn.input_messages;
  const prefixMatches =
    input.length >= logged.length && logged.every((message, index) => sameMessage(message, input[index] as Message));
  if (prefixMatches) return input.slice(logged.length);
  // The prompt was trimmed or rewritten (context management): trust the assembler's new_messages, minus a replay
  // of the conversation's end (the longest suffix of the conversation that new_messages starts with). Only a
  // contiguous replay is dropped: a new message may well equal an earlier one ("yes" twice).
  const fresh = turn.new_messages;
  for (let length = Math.min(logged.length, fresh.length); length > 0; length--) {
    const offset = logged.length - length;
    if (fresh.slice(0, length).every((message, index) => sameMessage(message, logged[offset + index] as Message)))
      return fresh.slice(length);
  }
  return fresh;
}

/**
 * The turn's tool executions as tool messages (with the message they would have been logged as, for matching).
 * Executions pair with the output's calls by position, so the k-th id-less execution answers the k-th id-less call.
 */
function toolResultMessages(turn: Turn): Array<{ message: Message; logged: Message }> {
  const calls = turn.output_message ? (withCallIds(turn.output_message, String(turn.index)).tool_calls ?? []) : [];
  const idLessCalls = calls.filter((_call, position) => turn.output_message?.tool_calls?.[position]?.id === '');
  let idLessSeen = 0;
  return turn.tool_calls.flatMap((execution) => {
    const id = execution.call_id === '' ? idLessCalls[idLessSeen++]?.id : execution.call_id;
    if (execution.result === null || id === undefined) return [];
    const logged: Message = { role: 'tool', content: execution.result, tool_call_id: execution.call_id };
    return [{ message: { ...logged, tool_call_id: id, name: execution.name }, logged }];
  });
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
  /** The conversation's messages as they were logged (before id-less calls got ids), to match prompts. */
  const loggedMessages: Message[] = [];
  // Call ids are only unique within one assistant message (some servers number calls per response: call_0 every
  // turn), so only the latest assistant message's calls are open; a tool message answers an open call and closes it.
  let openCalls = new Set<string>();
  let idLessCalls: string[] = [];
  const push = (logged: Message, details: { turnIndex?: number; message?: Message } = {}) => {
    let message = details.message ?? logged;
    if (message.role === 'tool') {
      // An id-less result answers the first id-less call still open (results arrive in call order).
      const id = message.tool_call_id || idLessCalls.find((candidate) => openCalls.has(candidate));
      if (id === undefined || !openCalls.has(id)) return;
      openCalls.delete(id);
      message = { ...message, tool_call_id: id };
    } else if (message.role === 'assistant') {
      message = withCallIds(
        message,
        details.turnIndex === undefined ? `h${conversation.length}` : String(details.turnIndex),
      );
      const calls = message.tool_calls ?? [];
      openCalls = new Set(calls.map((call) => call.id));
      idLessCalls = calls.filter((_call, position) => logged.tool_calls?.[position]?.id === '').map((call) => call.id);
    }
    conversation.push(details.turnIndex === undefined ? { message } : { message, turnIndex: details.turnIndex });
    loggedMessages.push(logged);
  };
  const pushToolResults = (turn: Turn) => {
    for (const { message, logged } of toolResultMessages(turn)) push(logged, { message });
  };
  let previous: Turn | undefined;
  for (const turn of trajectory.turns) {
    // The previous turn's results that the prompt did not log go right after the tool messages it did log.
    let filled = previous === undefined;
    const fill = () => {
      if (!filled && previous) pushToolResults(previous);
      filled = true;
    };
    for (const message of newInputMessages(loggedMessages, turn)) {
      if (message.role !== 'tool') fill();
      push(stripOutputFields(message));
    }
    fill();
    if (turn.output_message) push(stripOutputFields(turn.output_message), { turnIndex: turn.index });
    previous = turn;
  }
  if (previous && options.trailingToolResults) pushToolResults(previous);
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
  return content.map((part) => (part.type === 'text' && typeof part['text'] === 'string' ? part['text'] : '')).join('');
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
