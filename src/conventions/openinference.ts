/**
 * Arize OpenInference (`openinference.span.kind`, `llm.*`, `tool.*`, `input.value` / `output.value`). Messages,
 * tool calls and tool definitions are flattened into indexed keys (`llm.input_messages.0.message.role`), so the
 * mapper collects the `llm.` keys in one pass, rebuilds them into trees and reads those. What the langchain
 * instrumentation leaves out of them (call ids, a tool's own result) is read from its serialized LangChain
 * messages (langchain-serialized.ts). Session ids are read for every convention in conversation-id.ts.
 */
import type { Attributes, OtlpSpan } from '../model/otlp.ts';
import type { ContentPart, Message, MessageRole, ToolCall } from '../model/message.ts';
import type { SpanKind, SpanMapping } from '../model/span.ts';
import type { ConventionMapper, ConventionMatch } from './convention-mapper.ts';
import { asRecord, ownEntry, parseJson, readNumber, readString, toJsonText } from './attributes.ts';
import { addIndexedKey, childAt, indexedChildren, valueAt, type IndexedNode } from './indexed-attributes.ts';
import {
  readSerializedGenerations,
  readSerializedPrompt,
  readSerializedToolOutput,
  type SerializedMessage,
} from './langchain-serialized.ts';
import { contentToText, normaliseRole, toolCall } from './messages.ts';
import { toToolDefinition } from './tool-definitions.ts';
import { setTokenCount } from './usage.ts';

const SPAN_KINDS: Record<string, { kind: SpanKind; operation: string }> = {
  LLM: { kind: 'llm', operation: 'chat' },
  TOOL: { kind: 'tool', operation: 'execute_tool' },
  AGENT: { kind: 'agent', operation: 'invoke_agent' },
  EMBEDDING: { kind: 'other', operation: 'embeddings' },
};

export const openInferenceMapper: ConventionMapper = {
  convention: 'openinference',
  map(span: OtlpSpan): ConventionMatch | undefined {
    const spanKind = readString(span.attributes['openinference.span.kind']);
    if (spanKind === undefined) return undefined;
    return { mapping: mapOpenInference(span.attributes, spanKind.toUpperCase()), primary: true };
  },
};

function mapOpenInference(attributes: Attributes, spanKind: string): SpanMapping {
  const known = ownEntry(SPAN_KINDS, spanKind);
  const mapping: SpanMapping = {
    kind: known?.kind ?? 'other',
    operation: known?.operation ?? spanKind.toLowerCase(),
  };
  const inputMessages: IndexedNode = {};
  const outputMessages: IndexedNode = {};
  const tools: IndexedNode = {};
  for (const key in attributes) {
    if (!key.startsWith('llm.')) continue;
    const value = attributes[key] as Attributes[string];
    if (key.startsWith('llm.input_messages.')) addIndexedKey(inputMessages, key.slice(19), value);
    else if (key.startsWith('llm.output_messages.')) addIndexedKey(outputMessages, key.slice(20), value);
    else if (key.startsWith('llm.tools.')) addIndexedKey(tools, key.slice(10), value);
  }

  const provider = readString(attributes['llm.provider']) ?? readString(attributes['llm.system']);
  if (provider !== undefined) mapping.provider = provider;
  const responseModel = readString(attributes['llm.response.model_name']);
  const model =
    readString(attributes['llm.model_name']) ?? readString(attributes['llm.request.model_name']) ?? responseModel;
  if (model !== undefined) mapping.model = model;
  if (responseModel !== undefined) mapping.response_model = responseModel;
  setTokenCount(mapping, 'input_tokens', readNumber(attributes['llm.token_count.prompt']));
  setTokenCount(mapping, 'output_tokens', readNumber(attributes['llm.token_count.completion']));
  setTokenCount(mapping, 'cache_read_tokens', readNumber(attributes['llm.token_count.prompt_details.cache_read']));
  setTokenCount(mapping, 'cache_creation_tokens', readNumber(attributes['llm.token_count.prompt_details.cache_write']));
  setTokenCount(mapping, 'reasoning_tokens', readNumber(attributes['llm.token_count.completion_details.reasoning']));

  const input = indexedChildren(inputMessages).map(readMessage);
  const output = indexedChildren(outputMessages).map(readMessage);
  // OpenInference's langchain instrumentation drops call ids from the flattened messages; its serialized
  // input.value / output.value keep them (parsed only when an id is missing).
  if (lacksCallIds(input)) fillCallIds(input, readSerializedPrompt(attributes['input.value']));
  if (lacksCallIds(output)) fillCallIds(output, readSerializedGenerations(attributes['output.value']));
  if (input.length > 0) mapping.input_messages = input;
  const finishReason = readString(attributes['llm.finish_reason']);
  if (finishReason !== undefined) {
    mapping.finish_reasons = [finishReason];
    // The finish reason is recorded per span; with a single choice it belongs to that choice.
    if (output.length === 1 && output[0] !== undefined) output[0].finish_reason = finishReason;
  }
  if (output.length > 0) mapping.output_messages = output;
  const definitions = [];
  for (const tool of indexedChildren(tools)) {
    const definition = toToolDefinition(valueAt(tool, 'tool.json_schema'));
    if (definition !== undefined) definitions.push(definition);
  }
  if (definitions.length > 0) mapping.tool_definitions = definitions;

  const agentName = readString(attributes['agent.name']);
  if (agentName !== undefined) mapping.agent_name = agentName;
  if (mapping.kind === 'tool') mapTool(attributes, mapping);
  return mapping;
}

/** Tool spans: the call's arguments are the span input and its result the span output. */
function mapTool(attributes: Attributes, mapping: SpanMapping): void {
  const name = readString(attributes['tool.name']);
  if (name !== undefined) mapping.tool_name = name;
  const callId = readString(attributes['tool_call.id']);
  if (callId !== undefined) mapping.tool_call_id = callId;
  const args = attributes['input.value'] ?? invocationParameters(attributes['tool.parameters']);
  if (args !== undefined && args !== null) mapping.tool_arguments = toJsonText(args);
  const result = attributes['output.value'];
  // LangChain tools record the whole ToolMessage they return: the result is its content, and it names the call.
  const toolMessage = readSerializedToolOutput(result);
  if (toolMessage !== undefined) {
    mapping.tool_result = contentToText(toolMessage.content);
    if (mapping.tool_call_id === undefined && toolMessage.toolCallId !== undefined && toolMessage.toolCallId !== '')
      mapping.tool_call_id = toolMessage.toolCallId;
  } else if (result !== undefined && result !== null) mapping.tool_result = toJsonText(result);
}

function lacksCallIds(messages: readonly Message[]): boolean {
  return messages.some(
    (message) =>
      (message.role === 'tool' && message.tool_call_id === undefined) ||
      message.tool_calls?.some((call) => call.id === '') === true,
  );
}

const SERIALIZED_ROLES: Record<string, MessageRole> = {
  HumanMessage: 'user',
  HumanMessageChunk: 'user',
  AIMessage: 'assistant',
  AIMessageChunk: 'assistant',
  SystemMessage: 'system',
  SystemMessageChunk: 'system',
  ToolMessage: 'tool',
  ToolMessageChunk: 'tool',
  FunctionMessage: 'tool',
};

/**
 * Copies call ids (and a ToolMessage's status) from the serialized messages onto the flattened ones, position by
 * position, only when both lists line up (same length, same roles, same number of calls per message): otherwise
 * nothing is changed.
 */
function fillCallIds(messages: Message[], serialized: SerializedMessage[] | undefined): void {
  if (serialized === undefined || serialized.length !== messages.length) return;
  const lineUp = messages.every((message, index) => {
    const source = serialized[index] as SerializedMessage;
    const role = ownEntry(SERIALIZED_ROLES, source.className);
    return (
      (role === undefined || role === message.role) &&
      (message.tool_calls === undefined || message.tool_calls.length === source.toolCallIds.length)
    );
  });
  if (!lineUp) return;
  messages.forEach((message, index) => {
    const source = serialized[index] as SerializedMessage;
    message.tool_calls?.forEach((call, position) => {
      if (call.id === '') call.id = source.toolCallIds[position] ?? '';
    });
    if (message.role !== 'tool') return;
    if (message.tool_call_id === undefined && source.toolCallId !== undefined) message.tool_call_id = source.toolCallId;
    // A ToolMessage says whether the tool failed (LangGraph's ToolNode turns a thrown error into status `error`).
    if (source.status === 'error' || source.status === 'success') message.is_error = source.status === 'error';
  });
}

/**
 * `tool.parameters` is "the parameters of the tool as a JSON string": most instrumentations put the tool's JSON
 * Schema there, a few the invocation's arguments. Only the latter can stand in for a missing `input.value`.
 */
function invocationParameters(value: Attributes[string] | undefined): Attributes[string] | undefined {
  const parsed = asRecord(parseJson(value));
  if (parsed === undefined || 'properties' in parsed || parsed.type === 'object') return undefined;
  return value;
}

function readMessage(node: IndexedNode): Message {
  const role = normaliseRole(valueAt(node, 'message.role'));
  const message: Message = { role, content: readContent(node) };
  const calls: ToolCall[] = [];
  for (const call of indexedChildren(childAt(node, 'message.tool_calls'))) {
    // The arguments are JSON text as the model sent it; re-serialising would round big integers.
    calls.push(
      toolCall(
        valueAt(call, 'tool_call.id'),
        valueAt(call, 'tool_call.function.name'),
        valueAt(call, 'tool_call.function.arguments'),
      ),
    );
  }
  const functionName = valueAt(node, 'message.function_call_name');
  if (functionName !== undefined)
    calls.push(toolCall('', functionName, valueAt(node, 'message.function_call_arguments_json')));
  if (calls.length > 0) {
    message.tool_calls = calls;
    if (message.content === '') message.content = null;
  }
  const toolCallId = readString(valueAt(node, 'message.tool_call_id'));
  if (toolCallId !== undefined) message.tool_call_id = toolCallId;
  const name = readString(valueAt(node, 'message.name'));
  if (name !== undefined) message.name = name;
  return message;
}

/** `message.content` text, or the multi-part `message.contents.{j}.message_content.*` list. */
function readContent(node: IndexedNode): string | ContentPart[] {
  const text = valueAt(node, 'message.content');
  if (text !== undefined && text !== null) return typeof text === 'string' ? text : toJsonText(text);
  const parts: ContentPart[] = [];
  let allText = true;
  let joined = '';
  for (const part of indexedChildren(childAt(node, 'message.contents'))) {
    const type = readString(valueAt(part, 'message_content.type')) ?? 'text';
    if (type === 'text') {
      const partText = readString(valueAt(part, 'message_content.text')) ?? '';
      joined += partText;
      parts.push({ type: 'text', text: partText });
    } else if (type === 'image') {
      allText = false;
      parts.push({
        type: 'image_url',
        image_url: { url: readString(valueAt(part, 'message_content.image.image.url')) ?? '' },
      });
    } else {
      allText = false;
      parts.push({ type, value: toJsonText(flatten(childAt(part, 'message_content'))) });
    }
  }
  return allText ? joined : parts;
}

/** A subtree back into a plain object, for parts we do not interpret but must not drop. */
function flatten(node: IndexedNode | undefined): unknown {
  if (node === undefined) return null;
  if (node.children === undefined) return node.value ?? null;
  // Keys are telemetry text: built as own entries, so a `__proto__` key stays data rather than a prototype.
  return Object.fromEntries([...node.children].map(([key, child]) => [key, flatten(child)]));
}
