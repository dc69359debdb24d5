/**
 * OpenAI Responses API (`responses.create`, plain and `stream: true`) onto GenAI span attributes. `instructions`
 * become `gen_ai.system_instructions`; input items (messages, `function_call`, `function_call_output`, reasoning)
 * become messages; the output items become one assistant output message. A stream is recorded from its terminal
 * `response.completed` / `response.incomplete` / `response.failed` event, or, when the caller abandons it, from
 * the items and text deltas that arrived.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_TOOL_DEFINITIONS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_OPENAI_REQUEST_PREVIOUS_RESPONSE_ID,
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
  type OutputMessage,
} from './messages.ts';
import { openAIRequestAttributes, openAIToolDefinitions } from './openai-chat-completions.ts';

/** The chain a Responses call continues: the response it follows, and the Conversations API conversation. */
function responsesChainAttributes(params: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  const previous = stringField(params, 'previous_response_id');
  if (previous !== undefined) attributes[ATTR_OPENAI_REQUEST_PREVIOUS_RESPONSE_ID] = previous;
  const conversation = params['conversation'];
  const conversationId =
    typeof conversation === 'string'
      ? conversation
      : isRecord(conversation)
        ? stringField(conversation, 'id')
        : undefined;
  if (conversationId !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = conversationId;
  return attributes;
}

export const openAIResponsesAdapter: LlmCallAdapter = {
  providerName: 'openai',
  operationName: OPERATION_CHAT,
  suppressSdkSpans: false,
  requestAttributes: (params) => ({ ...openAIRequestAttributes(params), ...responsesChainAttributes(params) }),
  recordRequestContent(span, params) {
    const instructions = params['instructions'];
    if (typeof instructions === 'string' && instructions !== '') {
      setContentAttribute(span, ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, [textPart(instructions)]);
    }
    const input = params['input'];
    if (input !== undefined) setContentAttribute(span, ATTR_GEN_AI_INPUT_MESSAGES, responsesInputMessages(input));
    const tools = openAIToolDefinitions(params['tools']);
    if (tools) setContentAttribute(span, ATTR_GEN_AI_TOOL_DEFINITIONS, tools);
  },
  recordResponse(span, response) {
    if (isRecord(response)) recordResponseObject(span, response);
  },
  createStreamAssembler: () => new ResponsesStreamAssembler(),
};

function responsesInputMessages(input: unknown): InputMessage[] {
  if (typeof input === 'string') return [{ role: 'user', parts: [textPart(input)] }];
  if (!Array.isArray(input)) return [];
  const messages: InputMessage[] = [];
  const appendAssistantPart = (part: MessagePart): void => {
    const last = messages[messages.length - 1];
    if (last && last.role === 'assistant') last.parts.push(part);
    else messages.push({ role: 'assistant', parts: [part] });
  };
  for (const item of input) {
    if (!isRecord(item)) continue;
    const type = stringField(item, 'type');
    if (type === 'function_call') {
      appendAssistantPart({
        type: 'tool_call',
        id: stringField(item, 'call_id') ?? null,
        name: stringField(item, 'name') ?? '',
        arguments: parseJsonLenient(item['arguments']),
      });
    } else if (type === 'function_call_output') {
      messages.push({
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: stringField(item, 'call_id') ?? null, response: item['output'] }],
      });
    } else if (type === 'reasoning') {
      appendAssistantPart({ type: 'reasoning', content: reasoningText(item) });
    } else if (type === undefined || type === 'message') {
      const role = stringField(item, 'role') ?? 'user';
      const parts = responsesContentParts(item['content']);
      if (role === 'assistant') parts.forEach(appendAssistantPart);
      else messages.push({ role, parts });
    } else {
      messages.push({ role: 'user', parts: [{ ...item, type }] });
    }
  }
  return messages;
}

function responsesContentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [textPart(content)];
  if (!Array.isArray(content)) return [];
  return content.filter(isRecord).map((part): MessagePart => {
    const type = stringField(part, 'type') ?? 'unknown';
    if (type === 'input_text' || type === 'output_text' || type === 'text')
      return textPart(stringField(part, 'text') ?? '');
    if (type === 'refusal') return textPart(stringField(part, 'refusal') ?? '');
    if (type === 'input_image') {
      const url = stringField(part, 'image_url');
      if (url !== undefined) return { type: 'uri', modality: 'image', uri: url };
    }
    return { ...part, type };
  });
}

function reasoningText(item: Record<string, unknown>): string {
  const texts = [...(arrayField(item, 'summary') ?? []), ...(arrayField(item, 'content') ?? [])]
    .filter(isRecord)
    .map((part) => stringField(part, 'text') ?? '');
  return texts.join('\n');
}

function outputItemsToMessage(items: unknown[], finishReason: string): OutputMessage {
  const parts: MessagePart[] = [];
  for (const item of items) {
    if (!isRecord(item)) continue;
    const type = stringField(item, 'type');
    if (type === 'message') parts.push(...responsesContentParts(item['content']));
    else if (type === 'function_call') {
      parts.push({
        type: 'tool_call',
        id: stringField(item, 'call_id') ?? null,
        name: stringField(item, 'name') ?? '',
        arguments: parseJsonLenient(item['arguments']),
      });
    } else if (type === 'reasoning') {
      const text = reasoningText(item);
      if (text) parts.push({ type: 'reasoning', content: text });
    } else if (type !== undefined) parts.push({ type, id: item['id'] });
  }
  return { role: 'assistant', parts, finish_reason: finishReason };
}

/** The Responses API has no finish reason: derive the conventions' value from status and output. */
function responsesFinishReason(response: Record<string, unknown>, items: unknown[]): string {
  const status = stringField(response, 'status');
  if (status === 'failed') return 'error';
  if (status === 'incomplete') {
    const reason = stringField(recordField(response, 'incomplete_details') ?? {}, 'reason');
    return reason === 'max_output_tokens' ? 'length' : reason === 'content_filter' ? 'content_filter' : 'length';
  }
  return items.some((item) => isRecord(item) && item['type'] === 'function_call') ? 'tool_call' : 'stop';
}

function recordResponseObject(span: Span, response: Record<string, unknown>, fallbackItems?: unknown[]): void {
  const id = stringField(response, 'id');
  if (id !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, id);
  const model = stringField(response, 'model');
  if (model !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, model);
  const usage = recordField(response, 'usage');
  if (usage) {
    const input = numberField(usage, 'input_tokens');
    if (input !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, input);
    const output = numberField(usage, 'output_tokens');
    if (output !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, output);
    const cached = numberField(recordField(usage, 'input_tokens_details') ?? {}, 'cached_tokens');
    if (cached !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cached);
    const reasoning = numberField(recordField(usage, 'output_tokens_details') ?? {}, 'reasoning_tokens');
    if (reasoning !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, reasoning);
  }
  const items = fallbackItems ?? arrayField(response, 'output') ?? [];
  const finishReason = responsesFinishReason(response, items);
  span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [finishReason]);
  setContentAttribute(span, ATTR_GEN_AI_OUTPUT_MESSAGES, [outputItemsToMessage(items, finishReason)]);
}

/** Keeps the latest `response` snapshot and, for abandoned streams, the items and deltas seen so far. */
class ResponsesStreamAssembler implements StreamAssembler {
  private response: Record<string, unknown> | undefined;
  private terminal = false;
  private readonly doneItems = new Map<number, unknown>();
  private readonly partialItems = new Map<number, Record<string, unknown>>();
  private error: { type: string; message: string } | undefined;

  failure(): { type: string; message: string } | undefined {
    if (this.error) return this.error;
    if (this.response && stringField(this.response, 'status') === 'failed') {
      const error = recordField(this.response, 'error') ?? {};
      return {
        type: stringField(error, 'code') ?? 'response.failed',
        message: stringField(error, 'message') ?? 'response failed',
      };
    }
    return undefined;
  }

  add(event: unknown): void {
    if (!isRecord(event)) return;
    const type = stringField(event, 'type');
    if (type === 'error') {
      this.error = {
        type: stringField(event, 'code') ?? 'error',
        message: stringField(event, 'message') ?? 'stream error event',
      };
      return;
    }
    const response = recordField(event, 'response');
    if (response) {
      this.response = response;
      this.terminal = type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed';
      return;
    }
    const outputIndex = numberField(event, 'output_index') ?? 0;
    if (type === 'response.output_item.added') {
      const item = recordField(event, 'item');
      if (item)
        this.partialItems.set(outputIndex, { ...item, arguments: stringField(item, 'arguments') ?? '', text: '' });
    } else if (type === 'response.output_item.done') {
      this.doneItems.set(outputIndex, event['item']);
    } else if (type === 'response.output_text.delta') {
      const item = this.partialItems.get(outputIndex);
      if (item) item['text'] = `${stringField(item, 'text') ?? ''}${stringField(event, 'delta') ?? ''}`;
    } else if (type === 'response.function_call_arguments.delta') {
      const item = this.partialItems.get(outputIndex);
      if (item) item['arguments'] = `${stringField(item, 'arguments') ?? ''}${stringField(event, 'delta') ?? ''}`;
    }
  }

  record(span: Span): void {
    if (this.response && this.terminal) {
      recordResponseObject(span, this.response);
      return;
    }
    const indexes = [...new Set([...this.partialItems.keys(), ...this.doneItems.keys()])].sort((a, b) => a - b);
    const items = indexes.map((index) => {
      const done = this.doneItems.get(index);
      if (done !== undefined) return done;
      const partial = this.partialItems.get(index) ?? {};
      if (partial['type'] === 'message')
        return { ...partial, content: [{ type: 'output_text', text: partial['text'] }] };
      return partial;
    });
    recordResponseObject(span, this.response ?? {}, items);
  }
}
