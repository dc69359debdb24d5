import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonAttribute, onlySpan, startFixture, type Fixture } from './helpers.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.close();
});
beforeEach(() => {
  fixture.reregister();
});

const calculator = {
  type: 'function' as const,
  name: 'calculator',
  description: 'Evaluates an arithmetic expression',
  parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
  strict: false,
};

describe('openai responses.create', () => {
  it('records instructions as system instructions, the input, the output text and usage', async () => {
    const response = await fixture.openai.responses.create({
      model: 'gpt-resp',
      instructions: 'Be brief.',
      input: 'Hello there',
      max_output_tokens: 64,
    });
    expect(response.output_text).toBe('You said: Hello there');
    const span = onlySpan(fixture.exporter, 'chat gpt-resp');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'openai.api.type': 'responses',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.response.id': response.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': response.usage?.input_tokens,
      'gen_ai.usage.output_tokens': response.usage?.output_tokens,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.reasoning.output_tokens': 2,
    });
    expect(jsonAttribute(span, 'gen_ai.system_instructions')).toEqual([{ type: 'text', content: 'Be brief.' }]);
    expect(jsonAttribute(span, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Hello there' }] },
    ]);
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'You said: Hello there' }], finish_reason: 'stop' },
    ]);
  });

  it('records function calls and, on the next turn, function_call_output items as tool responses', async () => {
    const first = await fixture.openai.responses.create({
      model: 'gpt-resp',
      input: [{ role: 'user', content: 'calculator: 3 * 5' }],
      tools: [calculator],
    });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call?.type).toBe('function_call');
    if (call?.type !== 'function_call') return;
    const second = await fixture.openai.responses.create({
      model: 'gpt-resp',
      input: [
        { role: 'user', content: 'calculator: 3 * 5' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '15' },
      ],
      tools: [calculator],
    });
    expect(second.output_text).toBe('The answer is 15.');

    const [firstSpan, secondSpan] = fixture.exporter.getFinishedSpans();
    expect(firstSpan?.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
    expect(jsonAttribute(firstSpan!, 'gen_ai.tool.definitions')).toEqual([
      {
        type: 'function',
        name: 'calculator',
        description: 'Evaluates an arithmetic expression',
        parameters: calculator.parameters,
      },
    ]);
    expect(jsonAttribute(firstSpan!, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: call.call_id, name: 'calculator', arguments: { expression: '3 * 5' } }],
        finish_reason: 'tool_call',
      },
    ]);
    expect(jsonAttribute(secondSpan!, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'calculator: 3 * 5' }] },
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: call.call_id, name: 'calculator', arguments: { expression: '3 * 5' } }],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: call.call_id, response: '15' }] },
    ]);
  });

  it('records the chain a call continues: previous_response_id and the conversation', async () => {
    const first = await fixture.openai.responses.create({ model: 'gpt-resp', input: 'hello' });
    await fixture.openai.responses.create({
      model: 'gpt-resp',
      input: 'and again',
      previous_response_id: first.id,
      conversation: 'conv_123',
    });
    const spans = fixture.exporter.getFinishedSpans();
    const second = spans[spans.length - 1]!;
    expect(second.attributes['openai.request.previous_response_id']).toBe(first.id);
    expect(second.attributes['gen_ai.conversation.id']).toBe('conv_123');
    expect(spans[spans.length - 2]!.attributes['openai.request.previous_response_id']).toBeUndefined();
  });

  it('records a streamed response from its response.completed event', async () => {
    const stream = await fixture.openai.responses.create({ model: 'gpt-resp', input: 'stream this', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    const span = onlySpan(fixture.exporter, 'chat gpt-resp');
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.response.id']).toMatch(/^resp_/);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(4);
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
    ]);
  });

  it('records streamed function calls', async () => {
    const stream = await fixture.openai.responses.create({
      model: 'gpt-resp',
      input: 'calculator 1 + 1',
      tools: [calculator],
      stream: true,
    });
    let argumentsText = '';
    for await (const event of stream)
      if (event.type === 'response.function_call_arguments.delta') argumentsText += event.delta;
    expect(JSON.parse(argumentsText)).toEqual({ expression: '1 + 1' });
    const [message] = jsonAttribute(onlySpan(fixture.exporter, 'chat gpt-resp'), 'gen_ai.output.messages') as Array<{
      parts: Array<Record<string, unknown>>;
    }>;
    expect(message?.parts).toEqual([
      {
        type: 'tool_call',
        id: expect.stringMatching(/^call_/) as unknown,
        name: 'calculator',
        arguments: { expression: '1 + 1' },
      },
    ]);
  });

  it('records the partial output of an abandoned stream', async () => {
    const stream = await fixture.openai.responses.create({ model: 'gpt-resp', input: 'a b c d e f g h', stream: true });
    for await (const event of stream) if (event.type === 'response.output_text.delta') break;
    const span = onlySpan(fixture.exporter, 'chat gpt-resp');
    expect(span.attributes['gen_ai.response.id']).toMatch(/^resp_/);
    const [message] = jsonAttribute(span, 'gen_ai.output.messages') as Array<{ parts: Array<{ content: string }> }>;
    expect(message?.parts[0]?.content).toBe('You said: a b ');
  });

  it('marks the span as an error when the stream delivers an error event (which the SDK yields, not throws)', async () => {
    const stream = await fixture.openai.responses.create({
      model: 'gpt-fail-mid-stream',
      input: 'one two three four',
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('error');
    const span = onlySpan(fixture.exporter, 'chat gpt-fail-mid-stream');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('server_error');
  });

  it('propagates a 400 unchanged', async () => {
    await expect(fixture.openai.responses.create({ model: 'gpt-error-400', input: 'x' })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    const span = onlySpan(fixture.exporter, 'chat gpt-error-400');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('BadRequestError');
  });
});
