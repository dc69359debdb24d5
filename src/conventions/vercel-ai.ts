/**
 * Vercel AI SDK telemetry (v4 to v6, `experimental_telemetry`). Spans are identified by `ai.operationId`. Only the
 * provider calls (`*.doGenerate`, `*.doStream`) are LLM calls; the outer `ai.generateText` / `ai.streamText` /
 * `ai.generateObject` / `ai.streamObject` spans sum the usage of all their steps, so they are mapped as `other`
 * without token counts (the sums stay in the original attributes). Attribute names changed across majors
 * (`promptTokens` -> `inputTokens`, tool-call `args` -> `input`, tool-result `result` -> `output`): both are read.
 */
import type { Attributes, OtlpSpan } from '../model/otlp.ts';
import type { ContentPart, Message, ToolCall } from '../model/message.ts';
import type { SpanMapping } from '../model/span.ts';
import type { ConventionMapper, ConventionMatch } from './convention-mapper.ts';
import { asRecord, asString, ownEntry, parseJson, readNumber, readString, toJsonText } from './attributes.ts';
import { contentToText, normaliseContent, normaliseRole, toolCall } from './messages.ts';
import { toToolDefinitions } from './tool-definitions.ts';
import { setTokenCount } from './usage.ts';

const METADATA_PREFIX = 'ai.telemetry.metadata.';

/**
 * Metadata is the only way AI SDK users can attach attributes to these spans, so metadata keys spelled like the
 * attributes we understand are honoured as if they were set directly, and so are the `sessionId` /
 * `conversationId` keys that Langfuse's and OpenLLMetry's AI SDK integrations document for sessions.
 */
const METADATA_FIELDS: Record<
  string,
  'task_id' | 'task' | 'conversation_id' | 'agent_name' | 'rollout_id' | 'attempt_id'
> = {
  'trajectory.task.id': 'task_id',
  'trajectory.task.description': 'task',
  'gen_ai.conversation.id': 'conversation_id',
  'session.id': 'conversation_id',
  conversationId: 'conversation_id',
  sessionId: 'conversation_id',
  'gen_ai.agent.name': 'agent_name',
  'agentlightning.rollout_id': 'rollout_id',
  'agentlightning.attempt_id': 'attempt_id',
};

export const vercelAiMapper: ConventionMapper = {
  convention: 'vercel-ai',
  map(span: OtlpSpan): ConventionMatch | undefined {
    const operationId = readString(span.attributes['ai.operationId']);
    if (operationId === undefined) return undefined;
    const mapping = mapCommon(span.attributes);
    if (operationId === 'ai.toolCall') {
      mapToolCall(span.attributes, mapping);
      return { mapping, primary: true };
    }
    if (operationId.endsWith('.doGenerate') || operationId.endsWith('.doStream')) {
      if (operationId.startsWith('ai.embed') || operationId.startsWith('ai.rerank')) {
        mapping.kind = 'other';
        mapping.operation = operationId.startsWith('ai.embed') ? 'embeddings' : 'rerank';
        return { mapping, primary: true };
      }
      mapProviderCall(span.attributes, mapping);
      return { mapping, primary: true };
    }
    mapping.kind = 'other';
    mapping.operation = operationId;
    return { mapping, primary: true, withoutTokenCounts: true };
  },
};

function mapCommon(attributes: Attributes): SpanMapping {
  const mapping: SpanMapping = {};
  const provider = readString(attributes['ai.model.provider']);
  if (provider !== undefined) mapping.provider = provider;
  const model = readString(attributes['ai.model.id']);
  if (model !== undefined) mapping.model = model;
  for (const key in attributes) {
    if (!key.startsWith(METADATA_PREFIX)) continue;
    const field = ownEntry(METADATA_FIELDS, key.slice(METADATA_PREFIX.length));
    const value = readString(attributes[key]);
    if (field !== undefined && value !== undefined) mapping[field] = value;
  }
  return mapping;
}

function mapToolCall(attributes: Attributes, mapping: SpanMapping): void {
  mapping.kind = 'tool';
  mapping.operation = 'execute_tool';
  const name = readString(attributes['ai.toolCall.name']);
  if (name !== undefined) mapping.tool_name = name;
  const id = readString(attributes['ai.toolCall.id']);
  if (id !== undefined) mapping.tool_call_id = id;
  const args = attributes['ai.toolCall.args'] ?? attributes['ai.toolCall.input'];
  if (args !== undefined && args !== null) mapping.tool_arguments = toJsonText(args);
  const result = attributes['ai.toolCall.result'] ?? attributes['ai.toolCall.output'];
  if (result !== undefined && result !== null) mapping.tool_result = toJsonText(result);
}

function mapProviderCall(attributes: Attributes, mapping: SpanMapping): void {
  mapping.kind = 'llm';
  mapping.operation = 'chat';
  const responseModel = readString(attributes['ai.response.model']);
  if (responseModel !== undefined) mapping.response_model = responseModel;
  const responseId = readString(attributes['ai.response.id']);
  if (responseId !== undefined) mapping.response_id = responseId;
  const finishReason = readString(attributes['ai.response.finishReason']);
  if (finishReason !== undefined) mapping.finish_reasons = [finishReason];

  setTokenCount(
    mapping,
    'input_tokens',
    readNumber(attributes['ai.usage.inputTokens']) ?? readNumber(attributes['ai.usage.promptTokens']),
  );
  setTokenCount(
    mapping,
    'output_tokens',
    readNumber(attributes['ai.usage.outputTokens']) ?? readNumber(attributes['ai.usage.completionTokens']),
  );
  setTokenCount(
    mapping,
    'cache_read_tokens',
    readNumber(attributes['ai.usage.inputTokenDetails.cacheReadTokens']) ??
      readNumber(attributes['ai.usage.cachedInputTokens']),
  );
  setTokenCount(
    mapping,
    'cache_creation_tokens',
    readNumber(attributes['ai.usage.inputTokenDetails.cacheWriteTokens']),
  );
  setTokenCount(
    mapping,
    'reasoning_tokens',
    readNumber(attributes['ai.usage.outputTokenDetails.reasoningTokens']) ??
      readNumber(attributes['ai.usage.reasoningTokens']),
  );

  const input = readPromptMessages(attributes['ai.prompt.messages']);
  if (input.length > 0) mapping.input_messages = input;
  const output = readResponse(attributes, finishReason);
  if (output !== undefined) mapping.output_messages = [output];
  // `ai.prompt.tools` is an array of JSON strings, one per tool.
  const rawTools = attributes['ai.prompt.tools'];
  const tools = toToolDefinitions(Array.isArray(rawTools) ? rawTools.map((tool) => parseJson(tool)) : rawTools);
  if (tools.length > 0) mapping.tool_definitions = tools;
}

function readResponse(attributes: Attributes, finishReason: string | undefined): Message | undefined {
  const text = readString(attributes['ai.response.text']) ?? readString(attributes['ai.response.object']);
  const calls: ToolCall[] = [];
  const rawCalls = parseJson(attributes['ai.response.toolCalls']);
  if (Array.isArray(rawCalls)) {
    for (const item of rawCalls) {
      const call = asRecord(item);
      if (call !== undefined) calls.push(toolCall(call.toolCallId, call.toolName, call.input ?? call.args));
    }
  }
  const reasoning = readString(attributes['ai.response.reasoning']);
  if (text === undefined && calls.length === 0 && reasoning === undefined) return undefined;
  const message: Message = { role: 'assistant', content: text ?? (calls.length > 0 ? null : '') };
  if (calls.length > 0) message.tool_calls = calls;
  if (reasoning !== undefined) message.reasoning = reasoning;
  if (finishReason !== undefined) message.finish_reason = finishReason;
  return message;
}

/** `ai.prompt.messages`: AI SDK model messages (string content, or typed parts) as canonical messages. */
function readPromptMessages(raw: unknown): Message[] {
  const parsed = parseJson(raw);
  if (!Array.isArray(parsed)) return [];
  const out: Message[] = [];
  for (const item of parsed) {
    const record = asRecord(item);
    if (record === undefined) continue;
    const role = normaliseRole(record.role);
    if (!Array.isArray(record.content)) {
      out.push({ role, content: normaliseContent(record.content) ?? '' });
      continue;
    }
    let text = '';
    let allText = true;
    const parts: ContentPart[] = [];
    const calls: ToolCall[] = [];
    let reasoning: string | undefined;
    const toolResults: Message[] = [];
    for (const rawPart of record.content) {
      const part = asRecord(rawPart);
      if (part === undefined) continue;
      switch (part.type) {
        case 'text':
          text += asString(part.text) ?? '';
          parts.push({ type: 'text', text: asString(part.text) ?? '' });
          break;
        case 'reasoning':
          reasoning = (reasoning ?? '') + (asString(part.text) ?? '');
          break;
        case 'tool-call':
          calls.push(toolCall(part.toolCallId, part.toolName, part.input ?? part.args));
          break;
        case 'tool-result': {
          const result: Message = {
            role: 'tool',
            tool_call_id: asString(part.toolCallId) ?? '',
            content: toolResultText(part.output ?? part.result),
          };
          const isError = toolResultIsError(part.output);
          if (isError !== undefined) result.is_error = isError;
          toolResults.push(result);
          break;
        }
        default:
          // image / file / provider-specific parts are kept whole.
          allText = false;
          parts.push(
            typeof part.type === 'string' ? (part as ContentPart) : { type: 'unknown', value: toJsonText(part) },
          );
      }
    }
    if (role !== 'tool' || parts.length > 0) {
      const message: Message = { role, content: allText ? (calls.length > 0 && text === '' ? null : text) : parts };
      if (calls.length > 0) message.tool_calls = calls;
      if (reasoning !== undefined) message.reasoning = reasoning;
      out.push(message);
    }
    out.push(...toolResults);
  }
  return out;
}

/** v5+ output types say whether the tool failed (`error-text`, `error-json`); v4's raw results do not. */
const OUTPUT_TYPE_IS_ERROR: Record<string, boolean> = {
  text: false,
  json: false,
  content: false,
  'error-text': true,
  'error-json': true,
};

function toolResultIsError(output: unknown): boolean | undefined {
  const wrapped = wrappedOutput(output);
  return wrapped === undefined ? undefined : ownEntry(OUTPUT_TYPE_IS_ERROR, wrapped.type);
}

/** A v5+ `{type, value}` output wrapper, or undefined for a raw (v4) result. */
function wrappedOutput(output: unknown): { type: string; value: unknown } | undefined {
  const record = asRecord(output);
  if (record === undefined || typeof record.type !== 'string' || !('value' in record)) return undefined;
  return Object.keys(record).length <= 3 ? { type: record.type, value: record.value } : undefined;
}

/**
 * v5+ wraps tool outputs as `{type: 'text' | 'json' | 'error-text' | 'error-json' | 'content', value}`; v4 stored
 * the raw result. Either way the canonical tool message carries text (JSON text for structured values).
 */
function toolResultText(output: unknown): string {
  const wrapped = wrappedOutput(output);
  if (wrapped !== undefined) {
    if (wrapped.type === 'text' || wrapped.type === 'error-text')
      return asString(wrapped.value) ?? toJsonText(wrapped.value);
    if (wrapped.type === 'content') return contentToText(wrapped.value);
    return toJsonText(wrapped.value);
  }
  return toJsonText(output);
}
