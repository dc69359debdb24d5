/**
 * Whether a tool failed, carried onto the canonical tool message as `is_error` only where the convention says so:
 * Anthropic's `tool_result.is_error` (recorded by this product's instrumentation on the GenAI `tool_call_response`
 * part, which the GenAI schema allows but does not define), the AI SDK's `error-text` / `error-json` outputs. An
 * OpenAI `role: tool` message says nothing, and its canonical message has no `is_error`.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFixture, type Fixture } from '../../instrumentation/test/helpers.ts';
import { mapSpan } from '../../src/conventions/index.ts';
import { fixtureSpan } from './fixture-span.ts';
import { readableSpanToOtlp } from './readable-span-to-otlp.ts';

let fixture: Fixture;

beforeAll(async () => {
  fixture = await startFixture();
});

afterAll(async () => {
  await fixture.close();
});

function genAiToolMessage(part: Record<string, unknown>) {
  const mapping = mapSpan(
    fixtureSpan({
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': JSON.stringify([{ role: 'tool', parts: [{ type: 'tool_call_response', ...part }] }]),
      },
    }),
  );
  return mapping.input_messages?.[0];
}

describe('tool-result status', () => {
  test("maps Anthropic's is_error from the product's instrumentation of the real SDK, only where it was set", async () => {
    const tools: Anthropic.Tool[] = [
      { name: 'calculator', input_schema: { type: 'object', properties: { expression: { type: 'string' } } } },
      { name: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    ];
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Use calculator and weather for 2 + 2' }];
    const first = await fixture.anthropic.messages.create({ model: 'claude-test', max_tokens: 64, messages, tools });
    const [calculatorUse, weatherUse] = first.content.filter((block) => block.type === 'tool_use');
    expect([calculatorUse?.name, weatherUse?.name]).toEqual(['calculator', 'weather']);
    messages.push({ role: 'assistant', content: first.content });
    messages.push({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: calculatorUse!.id, content: '4', is_error: false },
        { type: 'tool_result', tool_use_id: weatherUse!.id, content: 'weather service unreachable', is_error: true },
      ],
    });
    messages.push({ role: 'assistant', content: 'Retrying without the weather.' });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: weatherUse!.id, content: 'sunny' }] });
    await fixture.anthropic.messages.create({ model: 'claude-test', max_tokens: 64, messages, tools });

    const second = fixture.exporter.getFinishedSpans()[1]!;
    const mapping = mapSpan(readableSpanToOtlp(second));
    expect(mapping.input_messages?.filter((message) => message.role === 'tool')).toEqual([
      { role: 'tool', tool_call_id: calculatorUse!.id, content: '4', is_error: false },
      { role: 'tool', tool_call_id: weatherUse!.id, content: 'weather service unreachable', is_error: true },
      { role: 'tool', tool_call_id: weatherUse!.id, content: 'sunny' },
    ]);
  });

  test('keeps a boolean is_error of a GenAI tool_call_response part and nothing else', () => {
    expect(genAiToolMessage({ id: 'call_1', response: 'boom', is_error: true })).toEqual({
      role: 'tool',
      tool_call_id: 'call_1',
      content: 'boom',
      is_error: true,
    });
    expect(genAiToolMessage({ id: 'call_2', response: 'ok' })).toEqual({
      role: 'tool',
      tool_call_id: 'call_2',
      content: 'ok',
    });
    // Not a status the schema or any emitter we know defines: no guess.
    expect(genAiToolMessage({ id: 'call_3', response: 'ok', is_error: 'false', status: 'error' })).toEqual({
      role: 'tool',
      tool_call_id: 'call_3',
      content: 'ok',
    });
  });

  test("maps the real AI SDK's error-text output of a throwing tool to is_error: true", async () => {
    let call = 0;
    const model = new MockLanguageModelV3({
      doGenerate: () => {
        call += 1;
        const usage = {
          inputTokens: { total: 5, noCache: 5, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 2, text: 2, reasoning: undefined },
        };
        return Promise.resolve(
          call === 1
            ? {
                content: [
                  { type: 'tool-call' as const, toolCallId: 'call_ok', toolName: 'lookup', input: '{"key":"a"}' },
                  { type: 'tool-call' as const, toolCallId: 'call_fail', toolName: 'lookup', input: '{"key":"b"}' },
                ],
                finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
                usage,
                warnings: [],
              }
            : {
                content: [{ type: 'text' as const, text: 'One lookup failed.' }],
                finishReason: { unified: 'stop' as const, raw: 'stop' },
                usage,
                warnings: [],
              },
        );
      },
    });
    const lookup = tool({
      inputSchema: jsonSchema<{ key: string }>({ type: 'object', properties: { key: { type: 'string' } } }),
      execute: ({ key }) => {
        if (key === 'b') throw new Error('no such key: b');
        return { key, value: 1 };
      },
    });
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    await generateText({
      model,
      prompt: 'Look up a and b',
      tools: { lookup },
      stopWhen: stepCountIs(3),
      experimental_telemetry: { isEnabled: true, tracer: provider.getTracer('ai') },
    });
    const steps = exporter
      .getFinishedSpans()
      .filter((span) => span.name === 'ai.generateText.doGenerate')
      .map((span) => mapSpan(readableSpanToOtlp(span)));
    expect(steps).toHaveLength(2);
    const toolMessages = steps[1]?.input_messages?.filter((message) => message.role === 'tool');
    expect(toolMessages).toEqual([
      { role: 'tool', tool_call_id: 'call_ok', content: '{"key":"a","value":1}', is_error: false },
      {
        role: 'tool',
        tool_call_id: 'call_fail',
        content: expect.stringContaining('no such key: b') as unknown,
        is_error: true,
      },
    ]);
  });
});
