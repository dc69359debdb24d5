import Anthropic from '@anthropic-ai/sdk';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
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

const calculator: Anthropic.Tool = {
  name: 'calculator',
  description: 'Evaluates an arithmetic expression',
  input_schema: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
};

describe('anthropic messages.create', () => {
  it('records the system prompt, messages, output and usage with cache tokens added to input tokens', async () => {
    const message = await fixture.anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 256,
      stop_sequences: ['END'],
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Say hi' }],
    });
    expect(message.content[0]).toEqual({ type: 'text', text: 'You said: Say hi' });
    const span = onlySpan(fixture.exporter, 'chat claude-test');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-test',
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.response.id': message.id,
      'gen_ai.response.model': 'claude-test',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': message.usage.input_tokens + 3 + 2,
      'gen_ai.usage.output_tokens': message.usage.output_tokens,
      'gen_ai.usage.cache_read.input_tokens': 3,
      'gen_ai.usage.cache_creation.input_tokens': 2,
    });
    expect(jsonAttribute(span, 'gen_ai.system_instructions')).toEqual([{ type: 'text', content: 'You are terse.' }]);
    expect(jsonAttribute(span, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Say hi' }] },
    ]);
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'You said: Say hi' }], finish_reason: 'stop' },
    ]);
  });

  it('records tool_use blocks and turns tool_result blocks into tool messages', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'calculator 4 * 4' }];
    const first = await fixture.anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 256,
      messages,
      tools: [calculator],
    });
    const toolUse = first.content.find((block) => block.type === 'tool_use');
    expect(toolUse?.type).toBe('tool_use');
    if (toolUse?.type !== 'tool_use') return;
    messages.push({ role: 'assistant', content: first.content });
    messages.push({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: toolUse.id, content: '16' },
        { type: 'text', text: 'Thanks' },
      ],
    });
    const second = await fixture.anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 256,
      messages,
      tools: [calculator],
    });
    expect(second.content[0]).toEqual({ type: 'text', text: 'The answer is 16.' });

    const [firstSpan, secondSpan] = fixture.exporter.getFinishedSpans();
    expect(firstSpan?.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_use']);
    expect(jsonAttribute(firstSpan!, 'gen_ai.tool.definitions')).toEqual([
      {
        type: 'function',
        name: 'calculator',
        description: 'Evaluates an arithmetic expression',
        parameters: calculator.input_schema,
      },
    ]);
    expect(jsonAttribute(firstSpan!, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'Let me use a tool.' },
          { type: 'tool_call', id: toolUse.id, name: 'calculator', arguments: { expression: '4 * 4' } },
        ],
        finish_reason: 'tool_call',
      },
    ]);
    expect(jsonAttribute(secondSpan!, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'calculator 4 * 4' }] },
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'Let me use a tool.' },
          { type: 'tool_call', id: toolUse.id, name: 'calculator', arguments: { expression: '4 * 4' } },
        ],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: toolUse.id, response: '16' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Thanks' }] },
    ]);
  });

  it("keeps a tool_result's is_error on its tool_call_response part, and adds none where the request set none", async () => {
    await fixture.anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'calculator 1 / 0' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_a', name: 'calculator', input: { expression: '1 / 0' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_a', content: 'division by zero', is_error: true },
            { type: 'tool_result', tool_use_id: 'toolu_b', content: [{ type: 'text', text: '2' }], is_error: false },
            { type: 'tool_result', tool_use_id: 'toolu_c', content: '3' },
          ],
        },
      ],
      tools: [calculator],
    });
    const span = onlySpan(fixture.exporter, 'chat claude-test');
    expect((jsonAttribute(span, 'gen_ai.input.messages') as unknown[]).slice(2)).toEqual([
      {
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: 'toolu_a', response: 'division by zero', is_error: true }],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'toolu_b', response: '2', is_error: false }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'toolu_c', response: '3' }] },
    ]);
  });

  it('assembles a streamed message with tool_use input from input_json_delta fragments', async () => {
    const stream = await fixture.anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 256,
      stream: true,
      messages: [{ role: 'user', content: 'calculator 9 - 2' }],
      tools: [calculator],
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    const span = onlySpan(fixture.exporter, 'chat claude-test');
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_use']);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(5);
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'Let me use a tool.' },
          {
            type: 'tool_call',
            id: expect.stringMatching(/^toolu_/) as unknown,
            name: 'calculator',
            arguments: { expression: '9 - 2' },
          },
        ],
        finish_reason: 'tool_call',
      },
    ]);
  });

  it('works through the SDK stream helper (messages.stream) and keeps its final message', async () => {
    const final = await fixture.anthropic.messages
      .stream({ model: 'claude-test', max_tokens: 64, messages: [{ role: 'user', content: 'helper please' }] })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'You said: helper please' });
    expect(onlySpan(fixture.exporter, 'chat claude-test').attributes['gen_ai.response.id']).toBe(final.id);
  });

  it('marks the span as an error on an error event mid-stream and propagates the SDK error', async () => {
    const stream = await fixture.anthropic.messages.create({
      model: 'claude-fail-mid-stream',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'a b c' }],
    });
    const consume = async (): Promise<void> => {
      for await (const event of stream) void event;
    };
    await expect(consume()).rejects.toBeInstanceOf(Anthropic.APIError);
    const span = onlySpan(fixture.exporter, 'chat claude-fail-mid-stream');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('propagates a 400 as BadRequestError and marks the span as an error', async () => {
    const error = await fixture.anthropic.messages
      .create({ model: 'claude-error-400', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    const span = onlySpan(fixture.exporter, 'chat claude-error-400');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('BadRequestError');
  });

  it('does not also record the SDK built-in anthropic.messages.create span', async () => {
    await fixture.anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(fixture.exporter.getFinishedSpans().map((span) => span.name)).toEqual(['chat claude-test']);
  });

  it('gives the redaction hook a copy: scrubbing in place changes neither the returned message nor the tools schema', async () => {
    fixture.reregister({ redactContent: scrubInPlace });
    const tools: Anthropic.Tool[] = [
      {
        name: 'vault',
        input_schema: {
          type: 'object',
          properties: { query: { type: 'string', description: 'the secret to look up' } },
        },
      },
    ];
    const toolsBefore = structuredClone(tools);
    const message = await fixture.anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'vault: my secret' }],
      tools,
    });
    expect(message.content.find((block) => block.type === 'tool_use')).toMatchObject({
      input: { query: 'vault: my secret' },
    });
    expect(tools).toEqual(toolsBefore);
    const span = onlySpan(fixture.exporter, 'chat claude-test');
    expect(JSON.stringify(jsonAttribute(span, 'gen_ai.output.messages'))).not.toContain('secret');
    expect(JSON.stringify(jsonAttribute(span, 'gen_ai.tool.definitions'))).not.toContain('secret');
  });
});

/** A redaction hook of the kind users write: it walks the value and scrubs strings in place. */
function scrubInPlace(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('secret', '<redacted>');
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = scrubInPlace(record[key]);
  }
  return value;
}
