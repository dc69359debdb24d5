/**
 * The turns of one trajectory, the rules of the `turns` view: one turn per LLM call in (start, span id) order;
 * tool executions answer a call by tool call id anywhere in the trajectory, else by position (the tool spans that
 * started between this call and the next one and carry no id another call claims, in order); tool spans left in
 * that window are listed as executions of the turn too. A call no tool span answered takes its result from the
 * `tool` messages of later calls' new_messages (most instrumentations trace only the model calls, and the agent's
 * own code runs the tools): by call id, the first later message with that id; without an id, the id-less tool
 * messages of the next call, in order. Such a result's status comes from the message (`is_error`) or is
 * 'unknown'; a call nothing answered by the end of the trajectory is 'missing'. new_messages are the input
 * messages after the longest prefix shared with what an earlier turn showed (its input plus output), compared on
 * role, content, tool call ids and tool_call_id (system and developer messages on role alone).
 */
import { createHash } from 'node:crypto';
import type { Message, ToolDefinition } from '../model/message.ts';
import type { ToolExecution, Turn } from '../model/trajectory.ts';
import { llmCallReward, toolExecutionReward } from './air-rewards.ts';
import type { AirRuleValues, AssemblySpan } from './assembly-input.ts';
import { itemsPerStep, runSteps, type AssemblySteps } from './assembly-steps.ts';
import { arrayField, field, jsonString, stringOrRaw } from './clickhouse-json.ts';

export type AssembledToolExecution = ToolExecution & { air_rule: string };

export interface AssembledTurn extends Omit<Turn, 'tool_calls'> {
  tool_calls: AssembledToolExecution[];
  /** Internal: the offered tools (for the trajectory's union) and the first user message's task key. */
  tool_definitions: ToolDefinition[];
  first_user_hash: string;
}

const noNextStart = 18_446_744_073_709_551_615n;
const uint64Range = 18_446_744_073_709_551_616n;

/**
 * What new_messages compares. System and developer messages compare by role only: an agent that rebuilds its
 * system prompt every call (a timestamp, refreshed context) must not make every call's history look new.
 */
function computeMessageKey(message: unknown): string {
  const role = jsonString(field(message, 'role'));
  const content = role === 'system' || role === 'developer' ? undefined : field(message, 'content');
  const contentKey = typeof content === 'string' ? content : Array.isArray(content) ? JSON.stringify(content) : '';
  const callIds = arrayField(message, 'tool_calls')
    .map((call) => jsonString(field(call, 'id')))
    .join(',');
  return `${role}\x1f${contentKey}\x1f${callIds}\x1f${jsonString(field(message, 'tool_call_id'))}`;
}

/**
 * Keys and first-user hashes per message object. Messages stored once per trace are parsed once and shared by
 * every span that re-sent them (src/store/trace-contents.ts; nobody mutates them), so an agent loop of n calls
 * computes each message's key once rather than once per call that re-sent it, and equal keys of one message
 * are one string, which compares in constant time.
 */
const messageKeys = new WeakMap<object, string>();
const userHashes = new WeakMap<object, string>();

function messageKey(message: unknown): string {
  if (typeof message !== 'object' || message === null) return computeMessageKey(message);
  let key = messageKeys.get(message);
  if (key === undefined) {
    key = computeMessageKey(message);
    messageKeys.set(message, key);
  }
  return key;
}

/** The assistant message of the call's output (the first one; else the first output message; else none). */
export function outputMessageOf(outputs: readonly unknown[]): unknown {
  return outputs.find((message) => jsonString(field(message, 'role')) === 'assistant') ?? outputs[0];
}

/** `msg:` + 16 hex digits of SHA-256 of the first user message's content; '' without a user message. */
export function firstUserHash(inputs: unknown[]): string {
  const user = inputs.find((message) => jsonString(field(message, 'role')) === 'user');
  if (user === undefined) return '';
  const cacheable = typeof user === 'object' && user !== null;
  let hash = cacheable ? userHashes.get(user) : undefined;
  if (hash === undefined) {
    hash = `msg:${createHash('sha256')
      .update(stringOrRaw(field(user, 'content')), 'utf8')
      .digest('hex')
      .slice(0, 16)}`;
    if (cacheable) userHashes.set(user, hash);
  }
  return hash;
}

/**
 * Every message list an earlier turn showed, as a prefix tree of message keys: the longest prefix an input shares
 * with any of them is how deep it walks, so a loop of n calls costs the length of its histories, not n² list
 * comparisons (a 10,000-call trajectory spent seconds here, blocking the receiver's event loop).
 */
class ShownHistories {
  private readonly root = new Map<string, ShownNode>();

  add(keys: readonly string[]): void {
    let children = this.root;
    for (const key of keys) {
      let node = children.get(key);
      if (node === undefined) {
        node = new Map();
        children.set(key, node);
      }
      children = node;
    }
  }

  longestSharedPrefix(keys: readonly string[]): number {
    let children = this.root;
    let depth = 0;
    for (const key of keys) {
      const node = children.get(key);
      if (node === undefined) break;
      children = node;
      depth++;
    }
    return depth;
  }
}

type ShownNode = Map<string, ShownNode>;

/** The first position in `sorted` (ascending) whose value is at least `value`; `sorted.length` when none is. */
function lowerBound<T, V extends bigint | number>(sorted: readonly T[], value: V, valueOf: (item: T) => V): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (valueOf(sorted[middle] as T) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function groupPositions<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number[]> {
  const positions = new Map<string, number[]>();
  items.forEach((item, position) => {
    const key = keyOf(item);
    const list = positions.get(key);
    if (list) list.push(position);
    else positions.set(key, [position]);
  });
  return positions;
}

function unsignedDifference(end: bigint, start: bigint): number {
  const difference = end - start;
  return Number(difference < 0n ? difference + uint64Range : difference);
}

interface ToolCallRequest {
  id: string;
  name: string;
  arguments: string;
}

/** A `tool` message of a call's new messages, as a possible answer to an earlier call. */
interface ToolMessageAnswer {
  call_id: string;
  result: string;
  status: 'ok' | 'error' | 'unknown';
}

function toolMessageAnswers(messages: unknown[]): ToolMessageAnswer[] {
  return messages
    .filter((message) => jsonString(field(message, 'role')) === 'tool')
    .map((message) => {
      const isError = field(message, 'is_error');
      return {
        call_id: jsonString(field(message, 'tool_call_id')),
        result: stringOrRaw(field(message, 'content')),
        status: isError === true ? 'error' : isError === false ? 'ok' : 'unknown',
      };
    });
}

/**
 * @param llmSpans the trajectory's `llm` spans, @param toolSpans its `tool` spans, both in (start, span id) order.
 */
export function assembleTurns(
  llmSpans: readonly AssemblySpan[],
  toolSpans: readonly AssemblySpan[],
  rules: AirRuleValues,
): AssembledTurn[] {
  return runSteps(assembleTurnsSteps(llmSpans, toolSpans, rules));
}

/** `assembleTurns` in steps of a few hundred turns (assembly-steps.ts). */
export function* assembleTurnsSteps(
  llmSpans: readonly AssemblySpan[],
  toolSpans: readonly AssemblySpan[],
  rules: AirRuleValues,
): AssemblySteps<AssembledTurn[]> {
  const outputs = llmSpans.map((span) => outputMessageOf(span.output_messages));
  const calls: ToolCallRequest[][] = outputs.map((output) =>
    arrayField(output, 'tool_calls').map((call) => ({
      id: jsonString(field(call, 'id')),
      name: jsonString(field(field(call, 'function'), 'name')),
      arguments: jsonString(field(field(call, 'function'), 'arguments')),
    })),
  );
  const trajectoryCallIds = new Set(calls.flat().map((call) => call.id));
  const shownBefore = new ShownHistories();
  const newMessages: unknown[][] = [];
  for (const [index, span] of llmSpans.entries()) {
    const output = outputs[index];
    const inputKeys = span.input_messages.map(messageKey);
    const shownPrefix = shownBefore.longestSharedPrefix(inputKeys);
    shownBefore.add(output !== undefined ? [...inputKeys, messageKey(output)] : inputKeys);
    newMessages.push(span.input_messages.slice(shownPrefix));
    if (index % itemsPerStep === itemsPerStep - 1) yield;
  }
  const toolMessages = newMessages.map(toolMessageAnswers);
  // Indexes instead of scans per turn (toolSpans are in start order): tool spans by call id, and the tool
  // messages by call id with the turn that carried them, both worked out on first need.
  const toolSpanStart = (position: number) => (toolSpans[position] as AssemblySpan).start;
  const toolSpansById = groupPositions(toolSpans, (tool) => tool.tool_call_id);
  let laterMessagesById: Map<string, Array<{ turn: number; answer: ToolMessageAnswer }>> | undefined;
  const firstLaterMessage = (callId: string, turn: number): ToolMessageAnswer | undefined => {
    if (laterMessagesById === undefined) {
      laterMessagesById = new Map();
      toolMessages.forEach((answers, carrier) => {
        for (const answer of answers) {
          const list = laterMessagesById!.get(answer.call_id);
          if (list) list.push({ turn: carrier, answer });
          else laterMessagesById!.set(answer.call_id, [{ turn: carrier, answer }]);
        }
      });
    }
    const candidates = laterMessagesById.get(callId) ?? [];
    return candidates[lowerBound(candidates, turn + 1, (candidate) => candidate.turn)]?.answer;
  };

  const turns: AssembledTurn[] = [];
  for (const [index, span] of llmSpans.entries()) {
    if (index % itemsPerStep === itemsPerStep - 1) yield;
    const output = outputs[index];
    // Only calls no tool span answered look at later messages (most calls have a span): worked out on first need.
    let nextIdLessMessages: ToolMessageAnswer[] | undefined;
    let idLessRank = 0;
    const nextStart = llmSpans[index + 1]?.start ?? noNextStart;
    const turnCalls = calls[index] ?? [];
    // A call id answers by the first tool span with that id that started with or after this call: some servers
    // number calls per response (call_0 in every turn), so an earlier turn's span must not answer a later call.
    const answeredById = turnCalls.map((call) => {
      if (call.id === '') return -1;
      const withId = toolSpansById.get(call.id) ?? [];
      return withId[lowerBound(withId, span.start, toolSpanStart)] ?? withId[0] ?? -1;
    });
    const pool: AssemblySpan[] = [];
    for (let position = lowerBound(toolSpans, span.start, (tool) => tool.start); ; position++) {
      const tool = toolSpans[position];
      if (tool === undefined || tool.start >= nextStart) break;
      if (tool.tool_call_id === '' || !trajectoryCallIds.has(tool.tool_call_id)) pool.push(tool);
    }
    let rank = 0;
    const executions: AssembledToolExecution[] = turnCalls.map((call, position) => {
      let answer: AssemblySpan | undefined;
      const byId = answeredById[position] ?? -1;
      if (byId >= 0) answer = toolSpans[byId];
      else answer = pool[rank++];
      const request = { name: call.name, call_id: call.id, arguments: call.arguments };
      if (answer) {
        const { status, tool_result: result, span_id } = answer;
        return {
          ...request,
          result,
          status,
          result_source: 'tool_span',
          span_id,
          ...toolExecutionReward(rules, status),
        };
      }
      let message: ToolMessageAnswer | undefined;
      if (call.id === '') {
        nextIdLessMessages ??= (toolMessages[index + 1] ?? []).filter((candidate) => candidate.call_id === '');
        message = nextIdLessMessages[idLessRank++];
      } else {
        message = firstLaterMessage(call.id, index);
      }
      const status = message ? message.status : 'missing';
      return {
        ...request,
        result: message ? message.result : null,
        status,
        result_source: message ? 'message' : 'none',
        span_id: '',
        ...toolExecutionReward(rules, status),
      };
    });
    for (const tool of pool.slice(rank)) {
      executions.push({
        name: tool.tool_name,
        call_id: tool.tool_call_id,
        arguments: tool.tool_arguments,
        result: tool.tool_result,
        status: tool.status,
        result_source: 'tool_span',
        span_id: tool.span_id,
        ...toolExecutionReward(rules, tool.status),
      });
    }
    let executionRewards = 0;
    for (const execution of executions) executionRewards += execution.air_reward;

    turns.push({
      index,
      span_id: span.span_id,
      model: span.model,
      provider: span.provider,
      status: span.status,
      input_messages: span.input_messages as Message[],
      new_messages: newMessages[index] as Message[],
      output_message: output === undefined ? null : (output as Message),
      finish_reason: output === undefined ? '' : jsonString(field(output, 'finish_reason')),
      tool_calls: executions,
      input_tokens: span.input_tokens,
      output_tokens: span.output_tokens,
      latency_ms: unsignedDifference(span.end, span.start) / 1e6,
      start_time_unix_nano: span.start_time_unix_nano,
      air_reward: llmCallReward(rules, span.status) + executionRewards,
      tool_definitions: span.tool_definitions,
      first_user_hash: firstUserHash(span.input_messages),
    });
  }
  return turns;
}

/** The union of the tool definitions offered across the turns, first definition of each name wins. */
export function unionTurnTools(turns: readonly AssembledTurn[]): ToolDefinition[] {
  const byName = new Map<string, ToolDefinition>();
  for (const turn of turns) {
    for (const definition of turn.tool_definitions) {
      const name = definition?.function?.name;
      if (name !== undefined && !byName.has(name)) byName.set(name, definition);
    }
  }
  return [...byName.values()];
}
