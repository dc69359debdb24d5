/**
 * OpenTelemetry GenAI semantic conventions (gen_ai.*), the convention everything else is measured against.
 * Handles both the current attributes (`gen_ai.provider.name`, `gen_ai.input.messages` as JSON text or structured
 * AnyValue, `gen_ai.usage.cache_read.input_tokens`, ...) and the names they replaced (`gen_ai.system`,
 * `gen_ai.usage.prompt_tokens`, per-message span events), plus this product's `trajectory.task.*` attributes.
 * `mapGenAiAttributes` is exported on its own because the `gen_ai.client.inference.operation.details` log event
 * carries the same attributes without a span.
 */
import type { Attributes, OtlpEvent, OtlpSpan } from '../model/otlp.ts';
import type { Message } from '../model/message.ts';
import type { SpanKind, SpanMapping } from '../model/span.ts';
import type { ConventionMapper, ConventionMatch } from './convention-mapper.ts';
import { ownEntry, readNumber, readString, readStringArray, toJsonText } from './attributes.ts';
import { readConversationId } from './conversation-id.ts';
import { fromGenAiMessages, fromSystemInstructions } from './genai-messages.ts';
import { isLegacyMessageEvent, messageFromLegacyEvent } from './genai-events.ts';
import { fromOpenAiMessage } from './messages.ts';
import { parseJsonText } from './parse-json-text.ts';
import { toToolDefinitions } from './tool-definitions.ts';
import { setTokenCount } from './usage.ts';

const OPERATION_KINDS: Record<string, SpanKind> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
};

/** Attributes whose presence makes a span a GenAI span (checked by key, never by scanning). */
const GENAI_MARKERS = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.tool.name',
  'gen_ai.agent.name',
] as const;

export const genAiMapper: ConventionMapper = {
  convention: 'genai',
  map(span: OtlpSpan): ConventionMatch | undefined {
    const attributes = span.attributes;
    if (GENAI_MARKERS.some((key) => attributes[key] !== undefined)) {
      return { mapping: mapGenAiAttributes(attributes, span.events), primary: true };
    }
    // Not a GenAI span (most spans are not): contribute our own trajectory.* attributes, if any, without claiming it.
    const taskOnly: SpanMapping = {};
    readTask(attributes, taskOnly);
    return taskOnly.task_id === undefined && taskOnly.task === undefined
      ? undefined
      : { mapping: taskOnly, primary: false };
  },
};

/** Maps GenAI attributes (from a span or an operation-details event), plus legacy message events when given. */
export function mapGenAiAttributes(attributes: Attributes, events: readonly OtlpEvent[] = []): SpanMapping {
  const mapping: SpanMapping = {};
  const operation = readString(attributes['gen_ai.operation.name']);
  if (operation !== undefined) mapping.operation = operation;
  const provider = readString(attributes['gen_ai.provider.name']) ?? readString(attributes['gen_ai.system']);
  if (provider !== undefined) mapping.provider = provider;
  const requestModel = readString(attributes['gen_ai.request.model']);
  const responseModel = readString(attributes['gen_ai.response.model']);
  const model = requestModel ?? responseModel;
  if (model !== undefined) mapping.model = model;
  if (responseModel !== undefined) mapping.response_model = responseModel;
  const responseId = readString(attributes['gen_ai.response.id']);
  if (responseId !== undefined) mapping.response_id = responseId;
  const finishReasons = readStringArray(attributes['gen_ai.response.finish_reasons']);
  if (finishReasons !== undefined) mapping.finish_reasons = finishReasons;

  // Current names first, then the names they replaced (older semconv, and OpenLLMetry's flat cache names).
  setTokenCount(
    mapping,
    'input_tokens',
    readNumber(attributes['gen_ai.usage.input_tokens']) ?? readNumber(attributes['gen_ai.usage.prompt_tokens']),
  );
  setTokenCount(
    mapping,
    'output_tokens',
    readNumber(attributes['gen_ai.usage.output_tokens']) ?? readNumber(attributes['gen_ai.usage.completion_tokens']),
  );
  setTokenCount(
    mapping,
    'cache_read_tokens',
    readNumber(attributes['gen_ai.usage.cache_read.input_tokens']) ??
      readNumber(attributes['gen_ai.usage.cache_read_input_tokens']),
  );
  setTokenCount(
    mapping,
    'cache_creation_tokens',
    readNumber(attributes['gen_ai.usage.cache_creation.input_tokens']) ??
      readNumber(attributes['gen_ai.usage.cache_creation_input_tokens']),
  );
  setTokenCount(
    mapping,
    'reasoning_tokens',
    readNumber(attributes['gen_ai.usage.reasoning.output_tokens']) ??
      readNumber(attributes['gen_ai.usage.reasoning_tokens']),
  );

  const inputMessages = readInputMessages(attributes);
  let outputMessages =
    attributes['gen_ai.output.messages'] === undefined ? [] : fromGenAiMessages(attributes['gen_ai.output.messages']);
  if (inputMessages.length === 0 && outputMessages.length === 0 && events.length > 0) {
    const legacy = readLegacyEvents(events);
    inputMessages.push(...legacy.input);
    outputMessages = legacy.output;
  }
  if (inputMessages.length > 0) mapping.input_messages = inputMessages;
  if (outputMessages.length > 0) mapping.output_messages = outputMessages;
  const tools = toToolDefinitions(attributes['gen_ai.tool.definitions']);
  if (tools.length > 0) mapping.tool_definitions = tools;

  const toolName = readString(attributes['gen_ai.tool.name']);
  if (toolName !== undefined) mapping.tool_name = toolName;
  const toolCallId = readString(attributes['gen_ai.tool.call.id']);
  if (toolCallId !== undefined) mapping.tool_call_id = toolCallId;
  const toolArguments = attributes['gen_ai.tool.call.arguments'];
  if (toolArguments !== undefined && toolArguments !== null) mapping.tool_arguments = toJsonText(toolArguments);
  const toolResult = attributes['gen_ai.tool.call.result'];
  if (toolResult !== undefined && toolResult !== null) mapping.tool_result = toJsonText(toolResult);

  const agentName = readString(attributes['gen_ai.agent.name']);
  if (agentName !== undefined) mapping.agent_name = agentName;
  const agentId = readString(attributes['gen_ai.agent.id']);
  if (agentId !== undefined) mapping.agent_id = agentId;
  // Every spelling, not only gen_ai.conversation.id: operation-details log records reach this without mapSpan.
  const conversationId = readConversationId(attributes);
  if (conversationId !== undefined) mapping.conversation_id = conversationId;
  const errorType = readString(attributes['error.type']);
  if (errorType !== undefined) mapping.error_type = errorType;
  readTask(attributes, mapping);

  const kind = inferKind(operation, mapping);
  if (kind !== undefined) mapping.kind = kind;
  return mapping;
}

/** This product's `trajectory.task.*` attributes. */
function readTask(attributes: Attributes, mapping: SpanMapping): void {
  const taskId = readString(attributes['trajectory.task.id']);
  if (taskId !== undefined) mapping.task_id = taskId;
  const task = readString(attributes['trajectory.task.description']);
  if (task !== undefined) mapping.task = task;
}

function readInputMessages(attributes: Attributes): Message[] {
  const messages =
    attributes['gen_ai.input.messages'] === undefined ? [] : fromGenAiMessages(attributes['gen_ai.input.messages']);
  const system =
    attributes['gen_ai.system_instructions'] === undefined
      ? undefined
      : fromSystemInstructions(attributes['gen_ai.system_instructions']);
  // Some emitters record the system prompt both ways; the history must hold it once.
  if (system !== undefined && !isSameSystemMessage(messages[0], system)) messages.unshift(system);
  return messages;
}

function isSameSystemMessage(first: Message | undefined, system: Message): boolean {
  return first !== undefined && first.role === 'system' && toJsonText(first.content) === toJsonText(system.content);
}

function inferKind(operation: string | undefined, mapping: SpanMapping): SpanKind | undefined {
  if (operation !== undefined) return ownEntry(OPERATION_KINDS, operation) ?? 'other';
  // No operation name (older instrumentations): infer from what the span carries.
  if (mapping.tool_call_id !== undefined || mapping.tool_arguments !== undefined) return 'tool';
  if (
    mapping.input_messages !== undefined ||
    mapping.output_messages !== undefined ||
    mapping.input_tokens !== undefined
  )
    return 'llm';
  return undefined;
}

/** Messages from the deprecated per-message span events and the older prompt/completion content events. */
function readLegacyEvents(events: readonly OtlpEvent[]): { input: Message[]; output: Message[] } {
  const input: Message[] = [];
  const output: Message[] = [];
  for (const event of events) {
    if (isLegacyMessageEvent(event.name)) {
      const converted = messageFromLegacyEvent(event.name, event.attributes);
      if (converted !== undefined) (converted.direction === 'input' ? input : output).push(converted.message);
    } else if (event.name === 'gen_ai.content.prompt') {
      input.push(...openAiMessageList(event.attributes['gen_ai.prompt']));
    } else if (event.name === 'gen_ai.content.completion') {
      output.push(...openAiMessageList(event.attributes['gen_ai.completion'], 'assistant'));
    }
  }
  return { input, output };
}

function openAiMessageList(raw: unknown, defaultRole: 'user' | 'assistant' = 'user'): Message[] {
  const parsed = typeof raw === 'string' ? safeParse(raw) : raw;
  if (!Array.isArray(parsed)) return parsed === undefined ? [] : [fromOpenAiMessage(parsed, defaultRole)];
  return parsed.map((item) => fromOpenAiMessage(item, defaultRole));
}

function safeParse(text: string): unknown {
  try {
    return parseJsonText(text);
  } catch {
    return text;
  }
}
