/**
 * Mapping of GenAI events that arrive as OTLP log records: evaluation results, the deprecated per-message events
 * (message in the body) and `gen_ai.client.inference.operation.details` (inference attributes without a span).
 */
import { describe, expect, test } from 'vitest';
import { mapLogRecord } from '../../src/conventions/index.ts';
import type { AttributeValue, Attributes, OtlpLogRecord } from '../../src/model/otlp.ts';

function logRecord(eventName: string, body: AttributeValue, attributes: Attributes = {}): OtlpLogRecord {
  return {
    resource: { attributes: {}, droppedAttributesCount: 0 },
    scope: { name: 'test', version: '', attributes: {} },
    timeUnixNano: 1n,
    observedTimeUnixNano: 1n,
    severityNumber: 9,
    severityText: 'INFO',
    body,
    attributes,
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    eventName,
  };
}

describe('GenAI log events', () => {
  test('maps gen_ai.evaluation.result to an evaluation', () => {
    const mapping = mapLogRecord(
      logRecord('gen_ai.evaluation.result', null, {
        'gen_ai.evaluation.name': 'Relevance',
        'gen_ai.evaluation.score.value': 4,
        'gen_ai.evaluation.score.label': 'relevant',
        'gen_ai.evaluation.explanation': 'On topic.',
      }),
    );
    expect(mapping).toEqual({
      event_name: 'gen_ai.evaluation.result',
      evaluation: { name: 'Relevance', score: 4, label: 'relevant', explanation: 'On topic.' },
    });
  });

  test('keeps an evaluation without a score as a null score', () => {
    const mapping = mapLogRecord(
      logRecord('', null, {
        'event.name': 'gen_ai.evaluation.result',
        'gen_ai.evaluation.name': 'Toxicity',
        'gen_ai.evaluation.score.label': 'pass',
      }),
    );
    expect(mapping.evaluation).toEqual({ name: 'Toxicity', score: null, label: 'pass', explanation: '' });
  });

  test.each([
    ['gen_ai.system.message', { content: 'Be brief.' }, { role: 'system', content: 'Be brief.' }],
    ['gen_ai.user.message', { content: 'Hi', role: 'human' }, { role: 'user', content: 'Hi' }],
    [
      'gen_ai.assistant.message',
      { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }] },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }],
      },
    ],
    [
      'gen_ai.tool.message',
      { id: 'call_1', content: { rows: 3 } },
      { role: 'tool', tool_call_id: 'call_1', content: '{"rows":3}' },
    ],
  ] as const)('maps %s to an input message', (eventName, body, message) => {
    expect(mapLogRecord(logRecord(eventName, body as AttributeValue))).toEqual({
      event_name: eventName,
      message,
      message_direction: 'input',
    });
  });

  test('maps gen_ai.choice to an output message with its index and finish reason', () => {
    const mapping = mapLogRecord(
      logRecord('gen_ai.choice', {
        index: 1,
        finish_reason: 'tool_calls',
        message: {
          content: null,
          tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'lookup', arguments: { q: 2 } } }],
        },
      }),
    );
    expect(mapping).toEqual({
      event_name: 'gen_ai.choice',
      message_direction: 'output',
      message_index: 1,
      message: {
        role: 'assistant',
        content: null,
        finish_reason: 'tool_calls',
        tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{"q":2}' } }],
      },
    });
  });

  test('maps gen_ai.client.inference.operation.details through the GenAI span mapping', () => {
    const mapping = mapLogRecord(
      logRecord('gen_ai.client.inference.operation.details', null, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 9,
        'gen_ai.system_instructions': '[{"type":"text","content":"Be brief."}]',
        'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]',
        'gen_ai.output.messages':
          '[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]',
      }),
    );
    expect(mapping.event_name).toBe('gen_ai.client.inference.operation.details');
    expect(mapping.operation_details).toMatchObject({
      kind: 'llm',
      model: 'gpt-4o',
      input_tokens: 9,
      input_messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      output_messages: [{ role: 'assistant', content: 'Hello', finish_reason: 'stop' }],
    });
  });

  test('returns just the event name for events it does not know', () => {
    expect(mapLogRecord(logRecord('app.started', 'boot'))).toEqual({ event_name: 'app.started' });
  });

  test('does not take event names that are Object.prototype members for message events', () => {
    for (const eventName of ['constructor', 'toString', '__proto__']) {
      expect(mapLogRecord(logRecord(eventName, { content: 'hi' }))).toEqual({ event_name: eventName });
    }
  });
});
