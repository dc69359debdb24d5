/**
 * OpenAI Chat Completions (`chat.completions.create`, plain and `stream: true`) onto GenAI span attributes:
 * request parameters, `gen_ai.input.messages` (system/developer messages stay in the history, as the conventions
 * ask for chat APIs), tool definitions, choices as `gen_ai.output.messages`, finish reasons and usage (cached and
 * reasoning tokens from the `*_tokens_details`).
 */
import type { Attributes, Span } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOOL_DEFINITIONS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_OPENAI_API_TYPE,
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
  type ToolDefinition,
} from './messages.ts';

export const openAIChatCompletionsAdapter: LlmCallAdapter = {
  providerName: 'openai',
  operationName: OPERATION_CHAT,
  suppressSdkSpans: false,
  requestAttributes: openAIRequestAttributes,
  recordRequestContent(span, params) {
    const messages = arrayField(params, 'messages');
    if (messages) setContentAttribute(span, ATTR_GEN_AI_INPUT_MESSAGES, messages.map(chatMessageToInputMessage));
    const tools = openAIToolDefinitions(params['tools']);
    if (tools) setContentAttribute(span, ATTR_GEN_AI_TOOL_DEFINITIONS, tools);
  },
  recordResponse(span, response) {
    if (!isRecord(response)) return;
    recordResponseMetadata(span, response);
    const choices = (arrayField(response, 'choices') ?? []).filter(isRecord);
    const finishReasons = choices.map((choice) => stringField(choice, 'finish_reason') ?? '');
    if (choices.length > 0) span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, finishReasons);
    recordChatUsage(span, recordField(response, 'usage'));
    setContentAttribute(
      span,
      ATTR_GEN_AI_OUTPUT_MESSAGES,
      choices.map((choice) =>
        assistantOutputMessage(recordField(choice, 'message') ?? {}, stringField(choice, 'finish_reason')),
      ),
    );
  },
  createStreamAssembler: () => new ChatCompletionStreamAssembler(),
};

/** Request parameters shared by Chat Completions and Responses (`openai.api.type` tells them apart). */
export function openAIRequestAttributes(params: Record<string, unknown>): Attributes {
  const attributes: Attributes = {
    [ATTR_OPENAI_API_TYPE]: 'input' in params && !('messages' in params) ? 'responses' : 'chat_completions',
  };
  const maxTokens =
    numberField(params, 'max_completion_tokens') ??
    numberField(params, 'max_tokens') ??
    numberField(params, 'max_output_tokens');
  if (maxTokens !== undefined) attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = numberField(params, 'temperature');
  if (temperature !== undefined) attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE] = temperature;
  const topP = numberField(params, 'top_p');
  if (topP !== undefined) attributes[ATTR_GEN_AI_REQUEST_TOP_P] = topP;
  const frequencyPenalty = numberField(params, 'frequency_penalty');
  if (frequencyPenalty !== undefined) attributes[ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY] = frequencyPenalty;
  const presencePenalty = numberField(params, 'presence_penalty');
  if (presencePenalty !== undefined) attributes[ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY] = presencePenalty;
  const seed = numberField(params, 'seed');
  if (seed !== undefined) attributes[ATTR_GEN_AI_REQUEST_SEED] = seed;
  const choiceCount = numberField(params, 'n');
  if (choiceCount !== undefined && choiceCount !== 1) attributes[ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = choiceCount;
  const stop = params['stop'];
  if (typeof stop === 'string') attributes[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = [stop];
  else if (Array.isArray(stop))
    attributes[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = stop.filter((item): item is string => typeof item === 'string');
  if (params['stream'] === true) attributes[ATTR_GEN_AI_REQUEST_STREAM] = true;
  return attributes;
}

/** `tools: [{ type: 'function', function: { name, description, parameters } }]` (Chat) or flat (Responses). */
export function openAIToolDefinitions(tools: unknown): ToolDefinition[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  return tools.filter(isRecord).map((tool) => {
    const definition = recordField(tool, 'function') ?? tool;
    const result: ToolDefinition = {
      type: stringField(tool, 'type') ?? 'function',
      name: stringField(definition, 'name') ?? stringField(tool, 'type') ?? 'unknown',
    };
    const description = stringField(definition, 'description');
    if (description !== undefined) result.description = description;
    if (definition['parameters'] !== undefined) result.parameters = definition['parameters'];
    return result;
  });
}

export function chatMessageToInputMessage(message: unknown): InputMessage {
  if (!isRecord(message)) return { role: 'user', parts: [] };
  const role = stringField(message, 'role') ?? 'user';
  const parts: MessagePart[] = [];
  if (role === 'tool') {
    parts.push({
      type: 'tool_call_response',
      id: stringField(message, 'tool_call_id') ?? null,
      response: contentAsText(message['content']),
    });
  } else {
    parts.push(...chatContentParts(message['content']));
    parts.push(...toolCallParts(message['tool_calls']));
    const legacyFunctionCall = recordField(message, 'function_call');
    if (legacyFunctionCall) {
      parts.push({
        type: 'tool_call',
        id: null,
        name: stringField(legacyFunctionCall, 'name') ?? '',
        arguments: parseJsonLenient(legacyFunctionCall['arguments']),
      });
    }
  }
  const result: InputMessage = { role, parts };
  const name = stringField(message, 'name');
  if (name !== undefined) result.name = name;
  return result;
}

function assistantOutputMessage(message: Record<string, unknown>, finishReason: string | undefined): OutputMessage {
  const parts: MessagePart[] = [];
  const reasoning = stringField(message, 'reasoning_content') ?? stringField(message, 'reasoning');
  if (reasoning) parts.push({ type: 'reasoning', content: reasoning });
  parts.push(...chatContentParts(message['content']));
  const refusal = stringField(message, 'refusal');
  if (refusal) parts.push(textPart(refusal));
  parts.push(...toolCallParts(message['tool_calls']));
  return {
    role: stringField(message, 'role') ?? 'assistant',
    parts,
    finish_reason: normalizeFinishReason(finishReason),
  };
}

function chatContentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [textPart(content)];
  if (!Array.isArray(content)) return [];
  return content.filter(isRecord).map((part): MessagePart => {
    const type = stringField(part, 'type');
    if (type === 'text') return textPart(stringField(part, 'text') ?? '');
    if (type === 'refusal') return textPart(stringField(part, 'refusal') ?? '');
    if (type === 'image_url') {
      const image = recordField(part, 'image_url');
      const url = image ? (stringField(image, 'url') ?? '') : '';
      const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      if (dataUrl)
        return {
          type: 'blob',
          modality: 'image',
          mime_type: dataUrl[1] ?? 'application/octet-stream',
          content: dataUrl[2] ?? '',
        };
      return { type: 'uri', modality: 'image', uri: url };
    }
    if (type === 'input_audio') {
      const audio = recordField(part, 'input_audio') ?? {};
      return {
        type: 'blob',
        modality: 'audio',
        mime_type: `audio/${stringField(audio, 'format') ?? 'wav'}`,
        content: stringField(audio, 'data') ?? '',
      };
    }
    return { ...part, type: type ?? 'unknown' };
  });
}

function toolCallParts(toolCalls: unknown): MessagePart[] {
  if (!Array.isArray(toolCalls)) return [];
  return toolCalls.filter(isRecord).map((toolCall) => {
    const fn = recordField(toolCall, 'function') ?? recordField(toolCall, 'custom') ?? {};
    return {
      type: 'tool_call',
      id: stringField(toolCall, 'id') ?? null,
      name: stringField(fn, 'name') ?? '',
      arguments: parseJsonLenient(fn['arguments'] ?? fn['input']),
    };
  });
}

/** Tool results are text (or text parts) in the Chat API. */
function contentAsText(content: unknown): unknown {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .filter(isRecord)
      .map((part) => stringField(part, 'text') ?? '')
      .join('');
  }
  return content;
}

/** Chat finish reasons onto the conventions' `finish_reason` values. */
export function normalizeFinishReason(reason: string | undefined): string {
  switch (reason) {
    case 'tool_calls':
    case 'function_call':
      return 'tool_call';
    case undefined:
    case '':
      return 'stop';
    default:
      return reason;
  }
}

function recordResponseMetadata(span: Span, response: Record<string, unknown>): void {
  const id = stringField(response, 'id');
  if (id !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, id);
  const model = stringField(response, 'model');
  if (model !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, model);
  const fingerprint = stringField(response, 'system_fingerprint');
  if (fingerprint) span.setAttribute('openai.response.system_fingerprint', fingerprint);
  const serviceTier = stringField(response, 'service_tier');
  if (serviceTier) span.setAttribute('openai.response.service_tier', serviceTier);
}

function recordChatUsage(span: Span, usage: Record<string, unknown> | undefined): void {
  if (!usage) return;
  const input = numberField(usage, 'prompt_tokens');
  if (input !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, input);
  const output = numberField(usage, 'completion_tokens');
  if (output !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, output);
  const cached = numberField(recordField(usage, 'prompt_tokens_details') ?? {}, 'cached_tokens');
  if (cached !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cached);
  const reasoning = numberField(recordField(usage, 'completion_tokens_details') ?? {}, 'reasoning_tokens');
  if (reasoning !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, reasoning);
}

interface ChoiceAccumulator {
  role: string;
  content: string;
  reasoning: string;
  refusal: string;
  finishReason: string | undefined;
  toolCalls: Map<number, { id: string | null; name: string; arguments: string }>;
}

const RESPONSE_METADATA_FIELDS = ['id', 'model', 'system_fingerprint', 'service_tier'] as const;

/** Joins `chat.completion.chunk`s: content and tool-call argument fragments per choice and per tool call index. */
class ChatCompletionStreamAssembler implements StreamAssembler {
  private readonly choices = new Map<number, ChoiceAccumulator>();
  private metadata: Record<string, unknown> = {};
  private usage: Record<string, unknown> | undefined;

  add(chunk: unknown): void {
    if (!isRecord(chunk)) return;
    // Each field from the first chunk that carries it: Azure OpenAI opens with a content-filter chunk whose id and
    // model are empty.
    for (const field of RESPONSE_METADATA_FIELDS) {
      const value = stringField(chunk, field);
      if (this.metadata[field] === undefined && value) this.metadata[field] = value;
    }
    const usage = recordField(chunk, 'usage');
    if (usage) this.usage = usage;
    for (const choice of arrayField(chunk, 'choices') ?? []) {
      if (!isRecord(choice)) continue;
      const index = numberField(choice, 'index') ?? 0;
      let accumulator = this.choices.get(index);
      if (!accumulator) {
        accumulator = {
          role: 'assistant',
          content: '',
          reasoning: '',
          refusal: '',
          finishReason: undefined,
          toolCalls: new Map(),
        };
        this.choices.set(index, accumulator);
      }
      const finishReason = stringField(choice, 'finish_reason');
      if (finishReason) accumulator.finishReason = finishReason;
      const delta = recordField(choice, 'delta');
      if (!delta) continue;
      const role = stringField(delta, 'role');
      if (role) accumulator.role = role;
      accumulator.content += stringField(delta, 'content') ?? '';
      accumulator.reasoning += stringField(delta, 'reasoning_content') ?? stringField(delta, 'reasoning') ?? '';
      accumulator.refusal += stringField(delta, 'refusal') ?? '';
      for (const toolCallDelta of arrayField(delta, 'tool_calls') ?? []) {
        if (!isRecord(toolCallDelta)) continue;
        const toolIndex = numberField(toolCallDelta, 'index') ?? accumulator.toolCalls.size;
        let toolCall = accumulator.toolCalls.get(toolIndex);
        if (!toolCall) {
          toolCall = { id: null, name: '', arguments: '' };
          accumulator.toolCalls.set(toolIndex, toolCall);
        }
        const id = stringField(toolCallDelta, 'id');
        if (id) toolCall.id = id;
        const fn = recordField(toolCallDelta, 'function') ?? {};
        toolCall.name += stringField(fn, 'name') ?? '';
        toolCall.arguments += stringField(fn, 'arguments') ?? '';
      }
    }
  }

  record(span: Span): void {
    recordResponseMetadata(span, this.metadata);
    recordChatUsage(span, this.usage);
    const indexes = [...this.choices.keys()].sort((a, b) => a - b);
    const choices = indexes
      .map((index) => this.choices.get(index))
      .filter((choice): choice is ChoiceAccumulator => choice !== undefined);
    const finishReasons = choices
      .map((choice) => choice.finishReason)
      .filter((reason): reason is string => reason !== undefined);
    if (finishReasons.length > 0) span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, finishReasons);
    const messages = choices.map((choice): OutputMessage => {
      const parts: MessagePart[] = [];
      if (choice.reasoning) parts.push({ type: 'reasoning', content: choice.reasoning });
      if (choice.content) parts.push(textPart(choice.content));
      if (choice.refusal) parts.push(textPart(choice.refusal));
      for (const toolIndex of [...choice.toolCalls.keys()].sort((a, b) => a - b)) {
        const toolCall = choice.toolCalls.get(toolIndex);
        if (toolCall)
          parts.push({
            type: 'tool_call',
            id: toolCall.id,
            name: toolCall.name,
            arguments: parseJsonLenient(toolCall.arguments),
          });
      }
      return { role: choice.role, parts, finish_reason: normalizeFinishReason(choice.finishReason) };
    });
    if (messages.length > 0) setContentAttribute(span, ATTR_GEN_AI_OUTPUT_MESSAGES, messages);
  }
}
