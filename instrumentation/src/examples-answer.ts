/**
 * The part of the receiver's `GET /v1/context/examples` answer that `recall()` hands to the agent, checked by hand
 * (this package has no zod; the schema is `examplesResponseSchema` in the repository's src/context/context-api.ts).
 * Messages keep only the fields a chat-completions request accepts, so they can be sent to a model as they are.
 */

/** A tool call of an assistant message, OpenAI's shape (arguments are JSON text). */
export interface RecalledToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * An OpenAI chat-completions request message, as the examples' few-shot pairs are rendered: assignable to the
 * `openai` client's `ChatCompletionMessageParam` without this package depending on it. Content is text (the text
 * parts of a multi-part content, joined), `null` only for an assistant message that only calls tools.
 */
export type RecalledMessage =
  | { role: 'system' | 'developer' | 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string | null; name?: string; tool_calls?: RecalledToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string };

export interface ExamplesAnswer {
  messages: RecalledMessage[];
  prompt: string;
  trajectoryIds: string[];
}

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
  const { role, name, tool_calls: toolCalls, tool_call_id: toolCallId } = value;
  const content = parseContent(value['content'], path);
  const named = typeof name === 'string' ? { name } : {};
  switch (role) {
    case 'system':
    case 'developer':
    case 'user':
      return { role, content: content ?? '', ...named };
    case 'assistant': {
      if (toolCalls === undefined) return { role, content, ...named };
      if (!Array.isArray(toolCalls)) throw new TypeError(`${path}.tool_calls is ${describe(toolCalls)}, not an array`);
      const calls = toolCalls.map((call, index) => parseToolCall(call, `${path}.tool_calls[${index}]`));
      return { role, content, ...named, tool_calls: calls };
    }
    case 'tool':
      if (typeof toolCallId !== 'string') throw new TypeError(`${path}.tool_call_id is ${describe(toolCallId)}`);
      return { role, content: content ?? '', tool_call_id: toolCallId };
    default:
      throw new TypeError(`${path}.role is ${describe(role)}, not one of system, developer, user, assistant, tool`);
  }
}

/** Text, or null; multi-part content becomes the text of its text parts (images and audio do not carry over). */
function parseContent(content: unknown, path: string): string | null {
  if (content === null || typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part, index) => {
        if (!isRecord(part) || typeof part['type'] !== 'string')
          throw new TypeError(`${path}.content[${index}] is not a content part with a type`);
        return part['type'] === 'text' && typeof part['text'] === 'string' ? part['text'] : '';
      })
      .filter((text) => text !== '')
      .join('\n');
  }
  throw new TypeError(`${path}.content is ${describe(content)}, not a string, an array or null`);
}

function parseToolCall(call: unknown, path: string): RecalledToolCall {
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
