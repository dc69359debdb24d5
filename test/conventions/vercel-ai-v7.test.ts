/**
 * AI SDK v7 emits OpenTelemetry GenAI semantic-convention spans through `@ai-sdk/otel` (no more `ai.*` span
 * attributes): they go through the GenAI mapping. Real `ai@7` (installed as `ai-v7`) with its mock model, the
 * real `@ai-sdk/otel` integration, an in-memory tracer.
 */
import { describe, expect, test } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetry } from '@ai-sdk/otel';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai-v7';
import { MockLanguageModelV4 } from 'ai-v7/test';
import { mapSpan } from '../../src/conventions/index.ts';
import type { SpanMapping } from '../../src/model/span.ts';
import { readableSpanToOtlp } from './readable-span-to-otlp.ts';

function usage(input: number, output: number) {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: output, text: output, reasoning: undefined },
  };
}

const weather = tool({
  description: 'Current weather for a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }),
  execute: async ({ city }) => ({ city, temperature: 20 }),
});

async function runAgent(): Promise<Array<{ name: string; mapping: SpanMapping }>> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let call = 0;
  const model = new MockLanguageModelV4({
    doGenerate: async () => {
      call += 1;
      if (call === 1) {
        return {
          content: [{ type: 'tool-call', toolCallId: 'call_paris', toolName: 'weather', input: '{"city":"Paris"}' }],
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage: usage(10, 5),
          warnings: [],
        };
      }
      return {
        content: [{ type: 'text', text: 'Sunny.' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usage(20, 3),
        warnings: [],
      };
    },
  });
  await generateText({
    model,
    instructions: 'You are a weather assistant.',
    prompt: 'Weather in Paris?',
    tools: { weather },
    stopWhen: stepCountIs(3),
    telemetry: { integrations: new OpenTelemetry({ tracer: provider.getTracer('ai') }) },
  });
  await provider.forceFlush();
  return exporter.getFinishedSpans().map((span) => ({ name: span.name, mapping: mapSpan(readableSpanToOtlp(span)) }));
}

describe('AI SDK v7 GenAI spans', () => {
  test('map to llm calls with messages and tokens, tool executions, and an agent span without double-counted usage', async () => {
    const spans = await runAgent();
    const llm = spans.filter((span) => span.mapping.kind === 'llm').map((span) => span.mapping);
    expect(llm).toHaveLength(2);
    expect(llm.map((mapping) => [mapping.input_tokens, mapping.output_tokens])).toEqual([
      [10, 5],
      [20, 3],
    ]);
    expect(llm[0]).toMatchObject({ convention: 'genai', operation: 'chat', model: 'mock-model-id' });
    expect(llm[0]?.input_messages?.[0]).toEqual({ role: 'system', content: 'You are a weather assistant.' });
    expect(llm[0]?.input_messages).toContainEqual({ role: 'user', content: 'Weather in Paris?' });
    expect(llm[0]?.output_messages?.[0]?.tool_calls).toEqual([
      { id: 'call_paris', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(llm[1]?.output_messages?.[0]).toMatchObject({ role: 'assistant', content: 'Sunny.' });

    const tools = spans.filter((span) => span.mapping.kind === 'tool').map((span) => span.mapping);
    expect(tools).toEqual([
      expect.objectContaining({ tool_name: 'weather', tool_call_id: 'call_paris', tool_arguments: '{"city":"Paris"}' }),
    ]);
    expect(JSON.parse(tools[0]!.tool_result ?? 'null')).toEqual({ city: 'Paris', temperature: 20 });

    const agents = spans.filter((span) => span.mapping.kind === 'agent').map((span) => span.mapping);
    expect(agents).toHaveLength(1);
    expect(agents[0]?.input_tokens).toBeUndefined();
    expect(agents[0]?.output_tokens).toBeUndefined();
  });
});
