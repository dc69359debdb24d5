/**
 * Message-history keys for stitching model calls into conversations. A call continues an earlier one when its
 * input begins with that call's input followed by its output; both sides are reduced to hashes of canonical
 * messages so the store can look continuations up by key instead of comparing histories.
 *
 * - `continuationKeys(input, output)`: what a call publishes: the key of its input followed by its output.
 * - `openingKeys(input)`: what a later call looks up: the key of its input up to its last assistant message (what
 *   follows it, tool results or a new user message, is what the agent added since). Only that prefix: matching a
 *   shorter one would skip the call in between and make a trajectory that is not a chain.
 * Each comes twice: over all messages, and without system / developer messages, because agents that rebuild their
 * system prompt every turn (timestamps, refreshed context) must still stitch. Messages are compared on role,
 * content and tool calls (ids, names, arguments) and the tool_call_id they answer.
 */
import { createHash } from 'node:crypto';
import { arrayField, field, jsonString, stringOrRaw } from './clickhouse-json.ts';

export type HistoryVariant = 'full' | 'without_system';

export interface HistoryKey {
  variant: HistoryVariant;
  key: string;
  /** Messages the key covers (for the longest-prefix rule). */
  length: number;
}

function messageHash(message: unknown): string {
  const calls = arrayField(message, 'tool_calls').map((call) => [
    jsonString(field(call, 'id')),
    jsonString(field(field(call, 'function'), 'name')),
    jsonString(field(field(call, 'function'), 'arguments')),
  ]);
  const canonical = JSON.stringify([
    jsonString(field(message, 'role')),
    stringOrRaw(field(message, 'content')),
    calls,
    jsonString(field(message, 'tool_call_id')),
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function isInstruction(message: unknown): boolean {
  const role = jsonString(field(message, 'role'));
  return role === 'system' || role === 'developer';
}

/** Rolling keys of every prefix: keys[k] covers messages[0..k]. */
function prefixKeys(messages: readonly unknown[]): string[] {
  const keys: string[] = [];
  let key = '';
  for (const message of messages) {
    key = createHash('sha256')
      .update(`${key}\n${messageHash(message)}`, 'utf8')
      .digest('hex')
      .slice(0, 32);
    keys.push(key);
  }
  return keys;
}

function variants(messages: readonly unknown[]): Array<{ variant: HistoryVariant; messages: readonly unknown[] }> {
  return [
    { variant: 'full', messages },
    { variant: 'without_system', messages: messages.filter((message) => !isInstruction(message)) },
  ];
}

/** The keys a call publishes: its input followed by its output (none without an output). */
export function continuationKeys(input: readonly unknown[], output: unknown): HistoryKey[] {
  if (output === undefined || output === null) return [];
  return variants([...input, output]).flatMap(({ variant, messages }) => {
    const keys = prefixKeys(messages);
    const key = keys[keys.length - 1];
    return key === undefined ? [] : [{ variant, key, length: messages.length }];
  });
}

/** The key of a call's input up to and including its last assistant message (none without one). */
export function openingKeys(input: readonly unknown[]): HistoryKey[] {
  return variants(input).flatMap(({ variant, messages }) => {
    let last = -1;
    messages.forEach((message, position) => {
      if (jsonString(field(message, 'role')) === 'assistant') last = position;
    });
    if (last < 0) return [];
    const key = prefixKeys(messages.slice(0, last + 1))[last] as string;
    return [{ variant, key, length: last + 1 }];
  });
}

/** The key of an explicit conversation id (hashed so ids of any length index alike). */
export function conversationKey(conversationId: string): string {
  return createHash('sha256').update(conversationId, 'utf8').digest('hex').slice(0, 32);
}
