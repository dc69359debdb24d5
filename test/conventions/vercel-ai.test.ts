/**
 * The Vercel AI SDK mapping, on spans the real `ai` package emits: generateText / streamText with a mock model
 * that answers with two parallel tool calls, then text, under an in-memory OpenTelemetry tracer.
 */
import { describe, expect, test } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { MockLanguageModelV3, convertArrayToReadableStream } from 'ai/test';
import { mapSpan } from '../../src/conventions/index.ts';
import type { SpanMapping } from '../../src/model/span.ts';
import { fixtureSpan } from './fixture-span.ts';
import { readableSpanToOtlp } from './readable-span-to-otlp.ts';

function usage(input: number, cacheRead: number, output: number, reasoning: number) {
  return {
    inputTokens: { total: input, noCache: input - cacheRead, cacheRead, cacheWrite: undefined },
    outputTokens: { total: output, text: output - reasoning, reasoning },
  };
}

const weather = tool({
  description: 'Current weather for a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }),
  execute: async ({ city }) => ({ city, temperature: 20 }),
});

function twoStepModel() {
  let call = 0;
  return new MockLanguageModelV3({
    doGenerate: async () => {
      call += 1;
      if (call === 1) {
        return {
          content: [
            { type: 'tool-call', toolCallId: 'call_paris', toolName: 'weather', input: '{"city":"Paris"}' },
            { type: 'tool-call', toolCallId: 'call_rome', toolName: 'weather', input: '{"city":"Rome"}' },
          ],
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage: usage(10, 2, 5, 2),
          warnings: [],
        };
      }
      return {
        content: [{ type: 'text', text: 'Sunny in both.' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usage(20, 0, 4, 0),
        warnings: [],
      };
    },
  });
}

async function runGenerateText(): Promise<Array<{ name: string; mapping: SpanMapping }>> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  await generateText({
    model: twoStepModel(),
    system: 'You are a weather assistant.',
    prompt: 'Weather in Paris and Rome?',
    tools: { weather },
    stopWhen: stepCountIs(3),
    experimental_telemetry: {
      isEnabled: true,
      tracer: provider.getTracer('ai'),
      metadata: { 'trajectory.task.id': 'task-7' },
    },
  });
  return exporter.getFinishedSpans().map((span) => ({ name: span.name, mapping: mapSpan(readableSpanToOtlp(span)) }));
}

describe('Vercel AI SDK spans', () => {
  test('maps each doGenerate step to an llm span with parallel tool calls, ids and its own usage', async () => {
    const spans = await runGenerateText();
    const steps = spans.filter((span) => span.name === 'ai.generateText.doGenerate');
    expect(steps).toHaveLength(2);
    const [first, second] = steps.map((step) => step.mapping);
    expect(first).toMatchObject({
      kind: 'llm',
      convention: 'vercel-ai',
      model: 'mock-model-id',
      input_tokens: 10,
      output_tokens: 5,
      cache_read_tokens: 2,
      reasoning_tokens: 2,
      finish_reasons: ['tool-calls'],
      task_id: 'task-7',
      input_messages: [
        { role: 'system', content: 'You are a weather assistant.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
      ],
      output_messages: [
        {
          role: 'assistant',
          content: null,
          finish_reason: 'tool-calls',
          tool_calls: [
            { id: 'call_paris', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_rome', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
          ],
        },
      ],
      tool_definitions: [
        { type: 'function', function: { name: 'weather', description: 'Current weather for a city' } },
      ],
    });
    // The second step sees the tool results as one canonical tool message per call, matched by id; the `json`
    // output type says the tool did not fail.
    expect(second?.input_messages?.slice(2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_paris', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_rome', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_paris', content: '{"city":"Paris","temperature":20}', is_error: false },
      { role: 'tool', tool_call_id: 'call_rome', content: '{"city":"Rome","temperature":20}', is_error: false },
    ]);
    expect(second?.output_messages).toEqual([{ role: 'assistant', content: 'Sunny in both.', finish_reason: 'stop' }]);
  });

  test('maps ai.toolCall spans to tool spans with call id, JSON arguments and result', async () => {
    const tools = (await runGenerateText()).filter((span) => span.name === 'ai.toolCall').map((span) => span.mapping);
    expect(tools).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'tool',
          convention: 'vercel-ai',
          tool_name: 'weather',
          tool_call_id: 'call_paris',
          tool_arguments: '{"city":"Paris"}',
          tool_result: '{"city":"Paris","temperature":20}',
        }),
        expect.objectContaining({ tool_call_id: 'call_rome', tool_arguments: '{"city":"Rome"}' }),
      ]),
    );
  });

  test('keeps token counts off the outer ai.generateText span so usage is not counted twice', async () => {
    const spans = await runGenerateText();
    const outer = spans.find((span) => span.name === 'ai.generateText')?.mapping;
    expect(outer).toMatchObject({
      kind: 'other',
      convention: 'vercel-ai',
      operation: 'ai.generateText',
      model: 'mock-model-id',
    });
    expect(outer?.input_tokens).toBeUndefined();
    expect(outer?.output_tokens).toBeUndefined();
    expect(outer?.reasoning_tokens).toBeUndefined();
    const llmInput = spans
      .filter((span) => span.mapping.kind === 'llm')
      .reduce((sum, span) => sum + (span.mapping.input_tokens ?? 0), 0);
    expect(llmInput).toBe(30);
  });

  test('maps streamText doStream spans as llm calls and the outer streamText span as other', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const model = new MockLanguageModelV3({
      doStream: async () => ({
        stream: convertArrayToReadableStream([
          { type: 'stream-start', warnings: [] },
          { type: 'text-start', id: 't1' },
          { type: 'text-delta', id: 't1', delta: 'Hello' },
          { type: 'text-delta', id: 't1', delta: ' there' },
          { type: 'text-end', id: 't1' },
          { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: usage(7, 0, 2, 0) },
        ]),
      }),
    });
    const result = streamText({
      model,
      prompt: 'Hi',
      experimental_telemetry: { isEnabled: true, tracer: provider.getTracer('ai') },
    });
    await result.consumeStream();
    const mapped = exporter
      .getFinishedSpans()
      .map((span) => ({ name: span.name, mapping: mapSpan(readableSpanToOtlp(span)) }));
    const doStream = mapped.find((span) => span.name === 'ai.streamText.doStream')?.mapping;
    expect(doStream).toMatchObject({
      kind: 'llm',
      input_tokens: 7,
      output_tokens: 2,
      input_messages: [{ role: 'user', content: 'Hi' }],
      output_messages: [{ role: 'assistant', content: 'Hello there', finish_reason: 'stop' }],
    });
    const outer = mapped.find((span) => span.name === 'ai.streamText')?.mapping;
    expect(outer).toMatchObject({ kind: 'other', convention: 'vercel-ai' });
    expect(outer?.input_tokens).toBeUndefined();
  });

  test('honours only the metadata keys it knows, never Object.prototype members', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'ai.operationId': 'ai.generateText',
          'ai.telemetry.metadata.constructor': 'x',
          'ai.telemetry.metadata.toString': 'y',
          'ai.telemetry.metadata.trajectory.task.id': 'task-1',
        },
      }),
    );
    expect(mapping).toEqual({
      kind: 'other',
      convention: 'vercel-ai',
      operation: 'ai.generateText',
      task_id: 'task-1',
    });
  });
});
