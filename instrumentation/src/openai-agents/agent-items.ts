/**
 * The Agents SDK's own item protocol (`AgentInputItem`: `function_call` with `callId`, `function_call_result` with
 * an `output` object, `input_image` with `image`) onto the Responses API wire items, so a response span's recorded
 * input goes through the same Responses mapping as a direct `responses.create` call. The SDK records its items,
 * not the request it sent, on the span (`_input`); items it has no wire twin for pass through unchanged.
 */
import { arrayField, isRecord, stringField } from '../genai/messages.ts';

export function agentItemsToResponsesInput(input: unknown): unknown {
  if (!Array.isArray(input)) return input;
  return input.map(agentItemToResponsesItem);
}

function agentItemToResponsesItem(item: unknown): unknown {
  if (!isRecord(item)) return item;
  const type = stringField(item, 'type');
  if (type === 'function_call') {
    return {
      type: 'function_call',
      call_id: callIdOf(item),
      name: stringField(item, 'name') ?? '',
      arguments: item['arguments'],
    };
  }
  if (type === 'function_call_result') {
    return { type: 'function_call_output', call_id: callIdOf(item), output: toolOutput(item['output']) };
  }
  if (type === 'reasoning') {
    return {
      type: 'reasoning',
      content: [...(arrayField(item, 'content') ?? []), ...(arrayField(item, 'rawContent') ?? [])],
    };
  }
  if (type === undefined || type === 'message') {
    const content = item['content'];
    return {
      type: 'message',
      role: stringField(item, 'role') ?? 'user',
      content: Array.isArray(content) ? content.map(contentPart) : content,
    };
  }
  return item;
}

function callIdOf(item: Record<string, unknown>): string | undefined {
  return stringField(item, 'callId') ?? stringField(item, 'call_id');
}

/** A tool result as the model saw it: text stays text, text parts are joined, anything else is kept whole. */
function toolOutput(output: unknown): unknown {
  if (typeof output === 'string') return output;
  if (isRecord(output) && output['type'] === 'text') return stringField(output, 'text') ?? '';
  if (Array.isArray(output) && output.every((part) => isRecord(part) && typeof part['text'] === 'string')) {
    return output.map((part) => (part as Record<string, string>)['text']).join('');
  }
  return output;
}

function contentPart(part: unknown): unknown {
  if (!isRecord(part) || part['type'] !== 'input_image') return part;
  const image = part['image'];
  if (typeof image === 'string') return { type: 'input_image', image_url: image };
  if (isRecord(image) && typeof image['id'] === 'string') return { type: 'input_image', file_id: image['id'] };
  return part;
}
