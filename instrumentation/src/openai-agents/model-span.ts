/**
 * The SDK's model spans onto GenAI chat spans, through the same mappings as direct `openai` calls. A `response`
 * span (the Responses API model) holds the SDK's input items (`_input`) and the whole response (`_response`,
 * with model, usage, instructions, tools and output); a `generation` span (the Chat Completions model, and other
 * providers' adapters) holds the chat messages sent (`input`), the completion (`output[0]`) and its settings. The
 * SDK fills these only when the run traces sensitive data (its `traceIncludeSensitiveData`, on by default); the
 * span then carries what is left (the response id), and the receiver still sees one LLM call per model call.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_OPENAI_API_TYPE,
  OPERATION_CHAT,
} from '../attributes.ts';
import { setContentAttribute } from '../content.ts';
import { arrayField, isRecord, numberField, recordField, stringField, type OutputMessage } from '../genai/messages.ts';
import {
  chatMessageToInputMessage,
  normalizeFinishReason,
  openAIChatCompletionsAdapter,
  openAIRequestAttributes,
} from '../genai/openai-chat-completions.ts';
import { openAIResponsesAdapter } from '../genai/openai-responses.ts';
import { agentItemsToResponsesInput } from './agent-items.ts';
import type { AgentsSpanData } from './sdk-tracing-types.ts';
import type { RequestedToolCall } from './tool-call-ledger.ts';

/** The id the SDK's Chat Completions model gives a streamed completion until the stream names one. */
const SDK_PLACEHOLDER_COMPLETION_ID = 'FAKE_ID';

export function isModelSpan(data: AgentsSpanData): boolean {
  return data.type === 'response' || data.type === 'generation';
}

/** `chat {model}`: the response's model for a response span, the requested model for a generation span. */
export function modelSpanName(data: AgentsSpanData): string {
  const model =
    data.type === 'response'
      ? stringField(recordField(data, '_response') ?? {}, 'model')
      : (stringField(data, 'model') ?? stringField(chatCompletionOf(data) ?? {}, 'model'));
  return model === undefined ? OPERATION_CHAT : `${OPERATION_CHAT} ${model}`;
}

/** Records a finished model span's request, response and usage on `span`. */
export function recordModelSpan(span: Span, data: AgentsSpanData): void {
  if (data.type === 'response') recordResponseSpan(span, data);
  else recordGenerationSpan(span, data);
}

function recordResponseSpan(span: Span, data: AgentsSpanData): void {
  span.setAttributes({
    [ATTR_GEN_AI_OPERATION_NAME]: OPERATION_CHAT,
    [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
    [ATTR_OPENAI_API_TYPE]: 'responses',
  });
  const responseId = stringField(data, 'response_id');
  if (responseId !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, responseId);
  const response = recordField(data, '_response');
  openAIResponsesAdapter.recordRequestContent(span, {
    ...(data['_input'] !== undefined ? { input: agentItemsToResponsesInput(data['_input']) } : {}),
    ...(response ? { instructions: response['instructions'], tools: response['tools'] } : {}),
  });
  if (response) openAIResponsesAdapter.recordResponse(span, response);
}

function recordGenerationSpan(span: Span, data: AgentsSpanData): void {
  const completion = chatCompletionOf(data);
  const attributes: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: OPERATION_CHAT,
    ...openAIRequestAttributes({ messages: [], ...recordField(data, 'model_config') }),
  };
  // A chat completion says the model spoke the OpenAI Chat Completions protocol; other adapters' output does not.
  if (completion) attributes[ATTR_GEN_AI_PROVIDER_NAME] = 'openai';
  else delete attributes[ATTR_OPENAI_API_TYPE];
  const model = stringField(data, 'model');
  if (model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = model;
  span.setAttributes(attributes);

  const input = arrayField(data, 'input');
  if (input) openAIChatCompletionsAdapter.recordRequestContent(span, { messages: input });
  if (completion) {
    const id = stringField(completion, 'id');
    openAIChatCompletionsAdapter.recordResponse(
      span,
      id === SDK_PLACEHOLDER_COMPLETION_ID ? { ...completion, id: undefined } : completion,
    );
  } else {
    const output = arrayField(data, 'output');
    if (output) setContentAttribute(span, ATTR_GEN_AI_OUTPUT_MESSAGES, output.map(outputMessage));
  }
  if (!recordField(completion ?? {}, 'usage')) recordGenerationUsage(span, recordField(data, 'usage'));
}

/** `usage: { input_tokens, output_tokens }`, which adapters other than the Chat Completions model record. */
function recordGenerationUsage(span: Span, usage: Record<string, unknown> | undefined): void {
  if (!usage) return;
  const input = numberField(usage, 'input_tokens');
  if (input !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, input);
  const output = numberField(usage, 'output_tokens');
  if (output !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, output);
}

function outputMessage(message: unknown): OutputMessage {
  const converted = chatMessageToInputMessage(message);
  const requestsTools = converted.parts.some((part) => part.type === 'tool_call');
  return { ...converted, finish_reason: requestsTools ? 'tool_call' : normalizeFinishReason(undefined) };
}

/** The Chat Completions model records the completion object itself as the span's single output. */
function chatCompletionOf(data: AgentsSpanData): Record<string, unknown> | undefined {
  if (data.type !== 'generation') return undefined;
  const first: unknown = arrayField(data, 'output')?.[0];
  return isRecord(first) && Array.isArray(first['choices']) ? first : undefined;
}

/** The tool calls the model asked for, with ids, for the ledger that gives function and handoff spans their id. */
export function modelToolCalls(data: AgentsSpanData): RequestedToolCall[] {
  if (data.type === 'response') {
    const output = arrayField(recordField(data, '_response') ?? {}, 'output') ?? [];
    return output.filter(isRecord).flatMap((item) => {
      if (item['type'] !== 'function_call') return [];
      return requestedCall(stringField(item, 'call_id'), stringField(item, 'name'), item['arguments']);
    });
  }
  const completion = chatCompletionOf(data);
  const messages = completion
    ? (arrayField(completion, 'choices') ?? []).filter(isRecord).map((choice) => choice['message'])
    : (arrayField(data, 'output') ?? []);
  return messages.filter(isRecord).flatMap((message) =>
    (arrayField(message, 'tool_calls') ?? []).filter(isRecord).flatMap((call) => {
      const fn = recordField(call, 'function') ?? {};
      return requestedCall(stringField(call, 'id'), stringField(fn, 'name'), fn['arguments']);
    }),
  );
}

function requestedCall(id: string | undefined, name: string | undefined, args: unknown): RequestedToolCall[] {
  if (id === undefined || id === '' || name === undefined) return [];
  return [{ id, name, arguments: typeof args === 'string' ? args : '' }];
}
