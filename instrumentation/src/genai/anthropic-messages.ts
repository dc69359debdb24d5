/**
 * Anthropic Messages (`messages.create`, plain and `stream: true`) onto GenAI span attributes. `system` becomes
 * `gen_ai.system_instructions`; `tool_use` blocks become tool_call parts; `tool_result` blocks (which Anthropic
 * sends inside user messages) become `tool` messages with tool_call_response parts, one per result, in order,
 * with Anthropic's `is_error` kept on the part when the request set it.
 * `gen_ai.usage.input_tokens` adds the cache read and creation tokens, which Anthropic reports separately.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_TOOL_DEFINITIONS,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  OPERATION_CHAT,
} from '../attributes.ts';
import { parseJsonLenient, setContentAttribute } from '../content.ts';
import type { LlmCallAdapter, StreamAssembler } from './llm-call.ts';
import {
  arrayField,
  isRecord,
  numberField,
  recordField,
  stringField,
  textPart,
  type InputMessage,
  type MessagePart,
  type ToolCallResponsePart,
  type ToolDefinition,
} from './messages.ts';

export const anthropicMessagesAdapter: LlmCallAdapter = {
  providerName: 'anthropic',
  operationName: OPERATION_CHAT,
  suppressSdkSpans: true,
  requestAttributes(params) {
    const attributes: Attributes = {};
    const maxTokens = numberField(params, 'max_tokens');
    if (maxTokens !== undefined) attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
    const temperature = numberField(params, 'temperature');
    if (temperature !== undefined) attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE] = temperature;
    const topP = numberField(params, 'top_p');
    if (topP !== undefined) attributes[ATTR_GEN_AI_REQUEST_TOP_P] = topP;
    const topK = numberField(params, 'top_k');
    if (topK !== undefined) attributes[ATTR_GEN_AI_REQUEST_TOP_K] = topK;
    const stop = arrayField(params, 'stop_sequences');
    if (stop)
      attributes[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = stop.filter((item): item is string => typeof item === 'string');
    if (params['stream'] === true) attributes[ATTR_GEN_AI_REQUEST_STREAM] = true;
    return attributes;
  },
  recordRequestContent(span, params) {
    const system = params['system'];
    if (typeof system === 'string' && system !== '')
      setContentAttribute(span, ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, [textPart(system)]);
    else if (Array.isArray(system) && system.length > 0)
      setContentAttribute(span, ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, contentBlockParts(system));
    const messages = arrayField(params, 'messages');
    if (messages) setContentAttribute(span, ATTR_GEN_AI_INPUT_MESSAGES, anthropicInputMessages(messages));
    const tools = anthropicToolDefinitions(params['tools']);
    if (tools) setContentAttribute(span, ATTR_GEN_AI_TOOL_DEFINITIONS, tools);
  },
  recordResponse(span, response) {
    if (isRecord(response)) recordMessage(span, response, arrayField(response, 'content') ?? []);
  },
  createStreamAssembler: () => new MessageStreamAssembler(),
};

function anthropicInputMessages(messages: unknown[]): InputMessage[] {
  const result: InputMessage[] = [];
  for (const message of messages) {
    if (!isRecord(message)) continue;
    const role = stringField(message, 'role') ?? 'user';
    const content = message['content'];
    if (typeof content === 'string') {
      result.push({ role, parts: [textPart(content)] });
      continue;
    }
    let pending: MessagePart[] = [];
    const flush = (): void => {
      if (pending.length > 0) result.push({ role, parts: pending });
      pending = [];
    };
    for (const block of Array.isArray(content) ? content : []) {
      if (isRecord(block) && block['type'] === 'tool_result') {
        flush();
        result.push({ role: 'tool', parts: [toolResultPart(block)] });
      } else {
        pending.push(...contentBlockParts([block]));
      }
    }
    flush();
  }
  return result;
}

function toolResultPart(block: Record<string, unknown>): ToolCallResponsePart {
  const part: ToolCallResponsePart = {
    type: 'tool_call_response',
    id: stringField(block, 'tool_use_id') ?? null,
    response: toolResultContent(block['content']),
  };
  // Recorded only when the caller said: Anthropic treats a missing flag as success, and so does the receiver.
  const isError = block['is_error'];
  if (typeof isError === 'boolean') part.is_error = isError;
  return part;
}

function toolResultContent(content: unknown): unknown {
  if (!Array.isArray(content)) return content;
  const blocks = content.filter(isRecord);
  if (blocks.every((block) => block['type'] === 'text'))
    return blocks.map((block) => stringField(block, 'text') ?? '').join('');
  return content;
}

function contentBlockParts(blocks: unknown[]): MessagePart[] {
  const parts: MessagePart[] = [];
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    const type = stringField(block, 'type') ?? 'unknown';
    if (type === 'text') parts.push(textPart(stringField(block, 'text') ?? ''));
    else if (type === 'tool_use')
      parts.push({
        type: 'tool_call',
        id: stringField(block, 'id') ?? null,
        name: stringField(block, 'name') ?? '',
        arguments: block['input'],
      });
    else if (type === 'thinking') parts.push({ type: 'reasoning', content: stringField(block, 'thinking') ?? '' });
    else if (type === 'redacted_thinking') continue;
    else if (type === 'image' || type === 'document') {
      const source = recordField(block, 'source') ?? {};
      const modality = type === 'image' ? 'image' : 'document';
      if (source['type'] === 'base64')
        parts.push({
          type: 'blob',
          modality,
          mime_type: stringField(source, 'media_type') ?? 'application/octet-stream',
          content: stringField(source, 'data') ?? '',
        });
      else if (source['type'] === 'url') parts.push({ type: 'uri', modality, uri: stringField(source, 'url') ?? '' });
      else parts.push({ ...block, type });
    } else parts.push({ ...block, type });
  }
  return parts;
}

function anthropicToolDefinitions(tools: unknown): ToolDefinition[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  return tools.filter(isRecord).map((tool) => {
    const type = stringField(tool, 'type');
    const definition: ToolDefinition = {
      type: type === undefined || type === 'custom' ? 'function' : type,
      name: stringField(tool, 'name') ?? 'unknown',
    };
    const description = stringField(tool, 'description');
    if (description !== undefined) definition.description = description;
    if (tool['input_schema'] !== undefined) definition.parameters = tool['input_schema'];
    return definition;
  });
}

function normalizeStopReason(reason: string | undefined): string {
  switch (reason) {
    case 'tool_use':
      return 'tool_call';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

function recordMessage(span: Span, message: Record<string, unknown>, content: unknown[]): void {
  const id = stringField(message, 'id');
  if (id !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, id);
  const model = stringField(message, 'model');
  if (model !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, model);
  const stopReason = stringField(message, 'stop_reason');
  if (stopReason !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [stopReason]);
  const usage = recordField(message, 'usage');
  if (usage) {
    const cacheRead = numberField(usage, 'cache_read_input_tokens');
    const cacheCreation = numberField(usage, 'cache_creation_input_tokens');
    const input = numberField(usage, 'input_tokens');
    if (input !== undefined)
      span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, input + (cacheRead ?? 0) + (cacheCreation ?? 0));
    const output = numberField(usage, 'output_tokens');
    if (output !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, output);
    if (cacheRead !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cacheRead);
    if (cacheCreation !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, cacheCreation);
    const thinking = numberField(recordField(usage, 'output_tokens_details') ?? {}, 'thinking_tokens');
    if (thinking !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, thinking);
  }
  setContentAttribute(span, ATTR_GEN_AI_OUTPUT_MESSAGES, [
    {
      role: stringField(message, 'role') ?? 'assistant',
      parts: contentBlockParts(content),
      finish_reason: normalizeStopReason(stopReason),
    },
  ]);
}

/** Rebuilds the message from `message_start`, the content block events and `message_delta`. */
class MessageStreamAssembler implements StreamAssembler {
  private message: Record<string, unknown> = {};
  private usage: Record<string, unknown> = {};
  private readonly blocks = new Map<number, Record<string, unknown>>();
  private readonly partialJson = new Map<number, string>();

  add(event: unknown): void {
    if (!isRecord(event)) return;
    const index = numberField(event, 'index') ?? 0;
    switch (event['type']) {
      case 'message_start': {
        this.message = recordField(event, 'message') ?? {};
        this.usage = { ...(recordField(this.message, 'usage') ?? {}) };
        break;
      }
      case 'content_block_start': {
        const block = recordField(event, 'content_block');
        if (block) this.blocks.set(index, { ...block });
        break;
      }
      case 'content_block_delta': {
        const block = this.blocks.get(index);
        const delta = recordField(event, 'delta');
        if (!block || !delta) break;
        if (delta['type'] === 'text_delta')
          block['text'] = `${stringField(block, 'text') ?? ''}${stringField(delta, 'text') ?? ''}`;
        else if (delta['type'] === 'thinking_delta')
          block['thinking'] = `${stringField(block, 'thinking') ?? ''}${stringField(delta, 'thinking') ?? ''}`;
        else if (delta['type'] === 'input_json_delta')
          this.partialJson.set(
            index,
            `${this.partialJson.get(index) ?? ''}${stringField(delta, 'partial_json') ?? ''}`,
          );
        break;
      }
      case 'message_delta': {
        const delta = recordField(event, 'delta') ?? {};
        if (delta['stop_reason'] !== undefined) this.message = { ...this.message, stop_reason: delta['stop_reason'] };
        for (const [key, value] of Object.entries(recordField(event, 'usage') ?? {})) {
          if (value !== null && value !== undefined) this.usage[key] = value;
        }
        break;
      }
      default:
        break;
    }
  }

  record(span: Span): void {
    const content = [...this.blocks.keys()]
      .sort((a, b) => a - b)
      .map((index) => {
        const block = this.blocks.get(index) ?? {};
        const json = this.partialJson.get(index);
        return json !== undefined ? { ...block, input: parseJsonLenient(json) } : block;
      });
    recordMessage(span, { ...this.message, usage: this.usage }, content);
  }
}
