/**
 * OpenAI legacy Completions (`POST /v1/completions`, JSON and `stream: true`), operation `text_completion`. A
 * prompt has no roles, so each prompt is one user message: a string as its text, a list of strings as one message
 * per string (a batch), and token ids, which only a tokenizer could turn back into text, as the JSON text of the
 * ids (`[1212,318,257]`), one message per list in a batch. Every choice becomes an assistant output message with
 * its finish reason; a stream's chunks append `choices[].text` by choice index. `suffix` and `logprobs` are not
 * recorded.
 */
import type { Attributes } from '../model/otlp.ts';
import { messagesJson, textPart, usageAttributes, type GenAiMessage } from './genai-parts.ts';
import {
  chatUsageCounts,
  openAiRequestParameters,
  readOpenAiChunks,
  responseMetadata,
} from './openai-chat-exchange.ts';
import { providerError, type ProtocolReader, type ResponseReading } from './protocol-reader.ts';
import type { ParsedEventStream } from './server-sent-events.ts';
import { MAX_ITEMS, finiteNumber, items, nonEmptyText, records, text } from './untrusted-values.ts';

export const openAiCompletionsReader: ProtocolReader = {
  operation: 'text_completion',
  provider: 'openai',
  readRequest(request) {
    const attributes: Attributes = { 'openai.api.type': 'completions', ...openAiRequestParameters(request) };
    const prompts = promptMessages(request['prompt']);
    if (prompts !== undefined) attributes['gen_ai.input.messages'] = messagesJson(prompts);
    return attributes;
  },
  readResponse(body) {
    const attributes = responseMetadata(body);
    const choices = records(body['choices']);
    const error = choices.length === 0 ? providerError(body) : undefined;
    const completions = choices.map((choice) => ({
      text: text(choice['text']) ?? '',
      finishReason: nonEmptyText(choice['finish_reason']),
    }));
    Object.assign(attributes, outputAttributes(completions), usageAttributes(chatUsageCounts(body['usage'])));
    return error === undefined ? { attributes, ended: true } : { attributes, ended: true, error };
  },
  readStream: readCompletionsStream,
};

function promptMessages(prompt: unknown): GenAiMessage[] | undefined {
  if (typeof prompt === 'string') return [userMessage(prompt)];
  if (!Array.isArray(prompt)) return undefined;
  // One prompt of token ids, or a batch (bounded) of prompts; a prompt's ids are kept however many there are.
  if (prompt.length > 0 && prompt.every((item) => typeof item === 'number')) return [userMessage(tokenIdsText(prompt))];
  return items(prompt).flatMap((item) =>
    typeof item === 'string' ? [userMessage(item)] : Array.isArray(item) ? [userMessage(tokenIdsText(item))] : [],
  );
}

function userMessage(content: string): GenAiMessage {
  return { role: 'user', parts: [textPart(content)] };
}

function tokenIdsText(ids: readonly unknown[]): string {
  return JSON.stringify(ids.filter((id) => typeof id === 'number' && Number.isFinite(id)));
}

interface Completion {
  text: string;
  finishReason: string | undefined;
}

function outputAttributes(completions: readonly Completion[]): Attributes {
  const attributes: Attributes = {};
  if (completions.length === 0) return attributes;
  if (completions.some((completion) => completion.finishReason !== undefined))
    attributes['gen_ai.response.finish_reasons'] = completions.map((completion) => completion.finishReason ?? '');
  attributes['gen_ai.output.messages'] = messagesJson(
    completions.map((completion): GenAiMessage => {
      const message: GenAiMessage = { role: 'assistant', parts: [textPart(completion.text)] };
      if (completion.finishReason !== undefined) message.finish_reason = completion.finishReason;
      return message;
    }),
  );
  return attributes;
}

function readCompletionsStream(stream: ParsedEventStream): ResponseReading {
  const completions = new Map<number, Completion>();
  const { metadata, usage, error } = readOpenAiChunks(stream, ['id', 'model', 'system_fingerprint'], (choice) => {
    const index = finiteNumber(choice['index']) ?? 0;
    let completion = completions.get(index);
    if (completion === undefined) {
      if (completions.size >= MAX_ITEMS) return;
      completion = { text: '', finishReason: undefined };
      completions.set(index, completion);
    }
    completion.text += text(choice['text']) ?? '';
    completion.finishReason = nonEmptyText(choice['finish_reason']) ?? completion.finishReason;
  });
  const ordered = [...completions.entries()].sort(([a], [b]) => a - b).map(([, completion]) => completion);
  const attributes = responseMetadata(metadata);
  Object.assign(attributes, outputAttributes(ordered), usageAttributes(chatUsageCounts(usage)));
  const ended = stream.done || ordered.some((completion) => completion.finishReason !== undefined);
  return error === undefined ? { attributes, ended } : { attributes, ended, error };
}
