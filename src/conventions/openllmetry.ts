/**
 * Traceloop OpenLLMetry, in the flattened format its instrumentations used before they adopted GenAI semconv
 * messages: `gen_ai.prompt.{i}.*` / `gen_ai.completion.{i}.*` messages, `llm.request.type`,
 * `llm.request.functions.{i}.*` tools, and the `traceloop.span.kind` / `traceloop.entity.*` spans its SDK
 * decorators (workflow, task, agent, tool) create. Newer Traceloop instrumentations emit plain GenAI semconv and
 * are handled by the GenAI mapper; model and usage attributes shared with GenAI are read there too.
 */
import type { Attributes, OtlpSpan } from '../model/otlp.ts';
import type { Message, ToolCall, ToolDefinition } from '../model/message.ts';
import type { SpanKind, SpanMapping } from '../model/span.ts';
import type { ConventionMapper, ConventionMatch } from './convention-mapper.ts';
import { asRecord, asString, ownEntry, parseJson, readNumber, readString, toJsonText } from './attributes.ts';
import { addIndexedKey, childAt, indexedChildren, valueAt, type IndexedNode } from './indexed-attributes.ts';
import { isContentPartList, normaliseContent, normaliseRole, toolCall } from './messages.ts';
import { setTokenCount } from './usage.ts';

const SPAN_KINDS: Record<string, SpanKind> = { workflow: 'other', task: 'other', agent: 'agent', tool: 'tool' };
const REQUEST_TYPES: Record<string, string> = {
  chat: 'chat',
  completion: 'text_completion',
  rerank: 'rerank',
  embedding: 'embeddings',
};

/** Keys whose presence identifies an OpenLLMetry span without scanning the attribute map. */
const MARKERS = [
  'traceloop.span.kind',
  'llm.request.type',
  'traceloop.entity.name',
  'gen_ai.prompt.0.role',
  'gen_ai.prompt.0.content',
  'gen_ai.completion.0.role',
  'gen_ai.completion.0.content',
] as const;

export const openLlmetryMapper: ConventionMapper = {
  convention: 'openllmetry',
  map(span: OtlpSpan): ConventionMatch | undefined {
    const attributes = span.attributes;
    if (!MARKERS.some((key) => attributes[key] !== undefined)) return undefined;
    const mapping = mapOpenLlmetry(attributes);
    // An embedding call's prompt tokens are not chat tokens: keep them (here and in the GenAI mapping of the same
    // span) out of the token columns.
    return mapping.operation === 'embeddings'
      ? { mapping, primary: true, withoutTokenCounts: true }
      : { mapping, primary: true };
  },
};

function mapOpenLlmetry(attributes: Attributes): SpanMapping {
  const mapping: SpanMapping = {};
  const prompts: IndexedNode = {};
  const completions: IndexedNode = {};
  const functions: IndexedNode = {};
  for (const key in attributes) {
    if (key.startsWith('gen_ai.prompt.')) addIndexedKey(prompts, key.slice(14), attributes[key] as Attributes[string]);
    else if (key.startsWith('gen_ai.completion.'))
      addIndexedKey(completions, key.slice(18), attributes[key] as Attributes[string]);
    else if (key.startsWith('llm.request.functions.'))
      addIndexedKey(functions, key.slice(22), attributes[key] as Attributes[string]);
  }

  const spanKind = readString(attributes['traceloop.span.kind']);
  const requestType = readString(attributes['llm.request.type']);
  // Embedding inputs are recorded as prompts, but they are texts to embed, not a conversation.
  const isEmbedding = spanKind === undefined && requestType === 'embedding';
  const input = isEmbedding ? [] : indexedChildren(prompts).map((node) => readMessage(node, 'user'));
  const output = isEmbedding ? [] : indexedChildren(completions).map((node) => readMessage(node, 'assistant'));
  if (spanKind !== undefined) {
    mapping.kind = ownEntry(SPAN_KINDS, spanKind) ?? 'other';
    mapping.operation = spanKind === 'tool' ? 'execute_tool' : spanKind === 'agent' ? 'invoke_agent' : spanKind;
  } else if (requestType !== undefined || input.length > 0 || output.length > 0) {
    mapping.kind = requestType === 'rerank' || isEmbedding ? 'other' : 'llm';
    mapping.operation = (requestType === undefined ? undefined : ownEntry(REQUEST_TYPES, requestType)) ?? 'chat';
  }

  const provider = readString(attributes['gen_ai.system']);
  if (provider !== undefined) mapping.provider = provider;
  const responseModel = readString(attributes['gen_ai.response.model']);
  const model = readString(attributes['gen_ai.request.model']) ?? responseModel;
  if (model !== undefined) mapping.model = model;
  if (responseModel !== undefined) mapping.response_model = responseModel;
  setTokenCount(
    mapping,
    'input_tokens',
    readNumber(attributes['gen_ai.usage.prompt_tokens']) ?? readNumber(attributes['gen_ai.usage.input_tokens']),
  );
  setTokenCount(
    mapping,
    'output_tokens',
    readNumber(attributes['gen_ai.usage.completion_tokens']) ?? readNumber(attributes['gen_ai.usage.output_tokens']),
  );
  setTokenCount(mapping, 'cache_read_tokens', readNumber(attributes['gen_ai.usage.cache_read_input_tokens']));
  setTokenCount(mapping, 'cache_creation_tokens', readNumber(attributes['gen_ai.usage.cache_creation_input_tokens']));
  setTokenCount(mapping, 'reasoning_tokens', readNumber(attributes['gen_ai.usage.reasoning_tokens']));

  if (input.length > 0) mapping.input_messages = input;
  if (output.length > 0) {
    mapping.output_messages = output;
    const reasons = output.map((message) => message.finish_reason).filter((reason) => reason !== undefined);
    if (reasons.length > 0) mapping.finish_reasons = reasons;
  }
  const tools = indexedChildren(functions)
    .map(readFunction)
    .filter((tool) => tool !== undefined);
  if (tools.length > 0) mapping.tool_definitions = tools;

  const entityName = readString(attributes['traceloop.entity.name']);
  if (mapping.kind === 'tool') {
    if (entityName !== undefined) mapping.tool_name = entityName;
    const args = attributes['traceloop.entity.input'];
    if (args !== undefined && args !== null) mapping.tool_arguments = toJsonText(callArguments(args));
    const result = attributes['traceloop.entity.output'];
    if (result !== undefined && result !== null) mapping.tool_result = toJsonText(result);
  } else if (mapping.kind === 'agent' && entityName !== undefined) {
    mapping.agent_name = entityName;
  }
  return mapping;
}

function readMessage(node: IndexedNode, defaultRole: 'user' | 'assistant'): Message {
  const role = normaliseRole(valueAt(node, 'role'), defaultRole);
  const message: Message = { role, content: readContent(valueAt(node, 'content')) };
  const calls: ToolCall[] = [];
  for (const call of indexedChildren(childAt(node, 'tool_calls'))) {
    calls.push(toolCall(valueAt(call, 'id'), valueAt(call, 'name'), valueAt(call, 'arguments')));
  }
  const functionName = valueAt(node, 'function_call.name');
  if (functionName !== undefined) calls.push(toolCall('', functionName, valueAt(node, 'function_call.arguments')));
  if (calls.length > 0) message.tool_calls = calls;
  if (message.content === null && calls.length === 0) message.content = '';
  const toolCallId = readString(valueAt(node, 'tool_call_id'));
  if (toolCallId !== undefined) message.tool_call_id = toolCallId;
  const finishReason = readString(valueAt(node, 'finish_reason'));
  if (finishReason !== undefined) message.finish_reason = finishReason;
  return message;
}

/**
 * Multi-part prompts are recorded as a JSON array of content parts in `content`; any other text (an assistant reply
 * that happens to be JSON, such as `["apple", "banana"]`) is the message itself and stays verbatim.
 */
function readContent(raw: unknown): Message['content'] {
  const text = asString(raw);
  if (text === undefined) return normaliseContent(raw);
  const parsed = parseJson(text);
  return isContentPartList(parsed) ? normaliseContent(parsed) : text;
}

function readFunction(node: IndexedNode): ToolDefinition | undefined {
  const name = readString(valueAt(node, 'name'));
  if (name === undefined) return undefined;
  const definition: ToolDefinition = { type: 'function', function: { name } };
  const description = readString(valueAt(node, 'description'));
  if (description !== undefined) definition.function.description = description;
  const parameters = asRecord(parseJson(valueAt(node, 'parameters')));
  if (parameters !== undefined) definition.function.parameters = parameters;
  return definition;
}

/**
 * The SDK records a decorated function's input as `{"args": [...], "kwargs": {...}}`. A tool call's arguments
 * are the keyword arguments, or the single positional object, when that is all there is.
 */
function callArguments(raw: unknown): unknown {
  const record = asRecord(parseJson(raw));
  if (record === undefined) return raw;
  const keys = Object.keys(record);
  if (!keys.every((key) => key === 'args' || key === 'kwargs')) return raw;
  const args = Array.isArray(record.args) ? record.args : [];
  const kwargs = asRecord(record.kwargs);
  if (args.length === 0 && kwargs !== undefined) return kwargs;
  if (
    args.length === 1 &&
    asRecord(args[0]) !== undefined &&
    (kwargs === undefined || Object.keys(kwargs).length === 0)
  )
    return args[0];
  return raw;
}
