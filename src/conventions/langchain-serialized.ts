/**
 * LangChain's serialized messages (`{lc: 1, type: 'constructor', id: [..., 'AIMessage'], kwargs: {...}}`), which
 * OpenInference's langchain instrumentation records as a span's `input.value` / `output.value`. Its flattened
 * `llm.*_messages` keep each tool call's name and arguments but drop the call ids, and a TOOL span's output is the
 * whole serialized `ToolMessage`; the ids and the tool's own result text survive only in these values. Readers
 * here return what the serialization says and nothing when a value is not one.
 */
import { asRecord, asString, parseJson } from './attributes.ts';

/** The parts of a serialized message that the flattened attributes lose. */
export interface SerializedMessage {
  /** The LangChain class: `HumanMessage`, `AIMessage`, `AIMessageChunk`, `SystemMessage`, `ToolMessage`, ... */
  className: string;
  content: unknown;
  /** Ids of an AI message's tool calls, in order ('' where a call has none). */
  toolCallIds: string[];
  /** The call a ToolMessage answers. */
  toolCallId?: string;
  /** A ToolMessage's `status`: `success` or `error` (LangGraph's ToolNode catches tool errors into it). */
  status?: string;
}

/** One serialized message, or undefined when the value is not a LangChain constructor record. */
export function readSerializedMessage(value: unknown): SerializedMessage | undefined {
  const record = asRecord(value);
  if (record === undefined || record.lc !== 1 || record.type !== 'constructor' || !Array.isArray(record.id)) {
    return undefined;
  }
  const className = asString(record.id[record.id.length - 1]);
  const kwargs = asRecord(record.kwargs);
  if (className === undefined || kwargs === undefined) return undefined;
  const message: SerializedMessage = { className, content: kwargs.content, toolCallIds: toolCallIds(kwargs) };
  const toolCallId = asString(kwargs.tool_call_id);
  if (toolCallId !== undefined) message.toolCallId = toolCallId;
  const status = asString(kwargs.status);
  if (status !== undefined) message.status = status;
  return message;
}

/** An LLM span's prompt: `input.value` is `{messages: [[...messages of the first prompt], ...]}`. */
export function readSerializedPrompt(inputValue: unknown): SerializedMessage[] | undefined {
  const batches = asRecord(parseJson(inputValue))?.messages;
  return Array.isArray(batches) ? readAll(batches[0]) : undefined;
}

/** An LLM span's output: `output.value` is `{generations: [[{text, message}, ...choices]]}`. */
export function readSerializedGenerations(outputValue: unknown): SerializedMessage[] | undefined {
  const generations = asRecord(parseJson(outputValue))?.generations;
  if (!Array.isArray(generations) || !Array.isArray(generations[0])) return undefined;
  return readAll(generations[0].map((generation) => asRecord(generation)?.message));
}

/** A TOOL span's output: the ToolMessage itself or, from LangGraph's ToolNode, `{output: ToolMessage}`. */
export function readSerializedToolOutput(outputValue: unknown): SerializedMessage | undefined {
  const parsed = parseJson(outputValue);
  const message = readSerializedMessage(parsed) ?? readSerializedMessage(asRecord(parsed)?.output);
  return message?.className === 'ToolMessage' ? message : undefined;
}

/** Every item as a serialized message, or undefined when any item is not one (then positions mean nothing). */
function readAll(items: unknown): SerializedMessage[] | undefined {
  if (!Array.isArray(items)) return undefined;
  const messages: SerializedMessage[] = [];
  for (const item of items) {
    const message = readSerializedMessage(item);
    if (message === undefined) return undefined;
    messages.push(message);
  }
  return messages;
}

function toolCallIds(kwargs: Record<string, unknown>): string[] {
  // LangChain's own `tool_calls` first; older serializations keep only the provider's `additional_kwargs` copy.
  const calls = Array.isArray(kwargs.tool_calls) ? kwargs.tool_calls : asRecord(kwargs.additional_kwargs)?.tool_calls;
  return Array.isArray(calls) ? calls.map((call) => asString(asRecord(call)?.id) ?? '') : [];
}
