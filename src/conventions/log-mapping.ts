/**
 * GenAI events that arrive as OTLP log records: evaluation results (rewards and feedback from evaluators), the
 * deprecated per-message events, and `gen_ai.client.inference.operation.details`, which carries the same
 * attributes as an inference span and is mapped by the GenAI span mapper.
 */
import type { OtlpLogRecord } from '../model/otlp.ts';
import type { Message } from '../model/message.ts';
import type { SpanMapping } from '../model/span.ts';
import { readNumber, readString } from './attributes.ts';
import { isLegacyMessageEvent, messageFromLegacyEvent } from './genai-events.ts';
import { mapGenAiAttributes } from './genai.ts';

export interface LogMapping {
  event_name: string;
  message?: Message;
  message_direction?: 'input' | 'output';
  /** The choice index of a `gen_ai.choice` event. */
  message_index?: number;
  evaluation?: { name: string; score: number | null; label: string; explanation: string };
  operation_details?: SpanMapping;
}

export function mapLogRecord(record: OtlpLogRecord): LogMapping {
  const eventName = record.eventName !== '' ? record.eventName : (readString(record.attributes['event.name']) ?? '');
  const mapping: LogMapping = { event_name: eventName };
  if (eventName === 'gen_ai.evaluation.result') {
    const attributes = record.attributes;
    mapping.evaluation = {
      name: readString(attributes['gen_ai.evaluation.name']) ?? '',
      score: readNumber(attributes['gen_ai.evaluation.score.value']) ?? null,
      label: readString(attributes['gen_ai.evaluation.score.label']) ?? '',
      explanation: readString(attributes['gen_ai.evaluation.explanation']) ?? '',
    };
  } else if (eventName === 'gen_ai.client.inference.operation.details') {
    mapping.operation_details = mapGenAiAttributes(record.attributes);
  } else if (isLegacyMessageEvent(eventName)) {
    const converted = messageFromLegacyEvent(eventName, record.body);
    if (converted !== undefined) {
      mapping.message = converted.message;
      mapping.message_direction = converted.direction;
      if (converted.index !== undefined) mapping.message_index = converted.index;
    }
  }
  return mapping;
}
