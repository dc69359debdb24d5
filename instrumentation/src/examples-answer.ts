/**
 * The part of the receiver's `GET /v1/context/examples` answer that `recall()` hands to the agent, checked by hand
 * (this package has no zod; the schema is `examplesResponseSchema` in the repository's src/context/context-api.ts).
 * Messages keep only the fields a chat-completions request accepts, so they can be sent to a model as they are.
 */

/** An OpenAI chat-completions message, as the examples' few-shot pairs are rendered. */
export interface RecalledMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | null | Array<{ type: string; [field: string]: unknown }>;
  name?: string;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

export interface ExamplesAnswer {
  messages: RecalledMessage[];
  prompt: string;
  trajectoryIds: string[];
}

const roles = new Set<string>(['system', 'developer', 'user', 'assistant', 'tool']);

/** The answer, or a TypeError naming the first field that is not what the receiver promises. */
export function parseExamplesAnswer(body: unknown): ExamplesAnswer {
  if (!isRecord(body)) throw new TypeError(`the answer is ${describe(body)}, not a JSON object`);
  const { prompt, messages, examples } = body;
  if (typeof prompt !== 'string') throw new TypeError(`prompt is ${describe(prompt)}, not a string`);
  if (!Array.isArray(messages)) throw new TypeError(`messages is ${describe(messages)}, not an array`);
  if (!Array.isArray(examples)) throw new TypeError(`examples is ${describe(examples)}, not an array`);
  return {
    prompt,
    messages: messages.map((message, index) => parseMessage(message, `messages[${index}]`)),
    trajectoryIds: examples.map((example, index) => {
      const id = isRecord(example) ? example['trajectory_id'] : undefined;
      if (typeof id !== 'string') throw new TypeError(`examples[${index}].trajectory_id is ${describe(id)}`);
      return id;
    }),
  };
}

function parseMessage(value: unknown, path: string): RecalledMessage {
  if (!isRecord(value)) throw new TypeError(`${path} is ${describe(value)}, not an object`);
  const { role, content, name, tool_calls: toolCalls, tool_call_id: toolCallId } = value;
  if (typeof role !== 'string' || !roles.has(role)) throw new TypeError(`${path}.role is ${describe(role)}`);
  const message: RecalledMessage = { role: role as RecalledMessage['role'], content: parseContent(content, path) };
  if (typeof name === 'string') message.name = name;
  if (typeof toolCallId === 'string') message.tool_call_id = toolCallId;
  if (toolCalls !== undefined) {
    if (!Array.isArray(toolCalls)) throw new TypeError(`${path}.tool_calls is ${describe(toolCalls)}, not an array`);
    message.tool_calls = toolCalls.map((call, index) => parseToolCall(call, `${path}.tool_calls[${index}]`));
  }
  return message;
}

function parseContent(content: unknown, path: string): RecalledMessage['content'] {
  if (content === null || typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part, index) => {
      if (!isRecord(part) || typeof part['type'] !== 'string')
        throw new TypeError(`${path}.content[${index}] is not a content part with a type`);
      return part as { type: string };
    });
  }
  throw new TypeError(`${path}.content is ${describe(content)}, not a string, an array or null`);
}

function parseToolCall(call: unknown, path: string): NonNullable<RecalledMessage['tool_calls']>[number] {
  const fn = isRecord(call) ? call['function'] : undefined;
  if (
    !isRecord(call) ||
    typeof call['id'] !== 'string' ||
    call['type'] !== 'function' ||
    !isRecord(fn) ||
    typeof fn['name'] !== 'string' ||
    typeof fn['arguments'] !== 'string'
  )
    throw new TypeError(`${path} is not a function call with an id, a name and arguments text`);
  return { id: call['id'], type: 'function', function: { name: fn['name'], arguments: fn['arguments'] } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
