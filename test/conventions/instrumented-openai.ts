/**
 * Test helper: drives the real `openai` client, wrapped by a real OpenAI instrumentation (OpenInference or
 * Traceloop), against the loopback chat-completions server, and returns the spans the instrumentation emitted.
 * `manuallyInstrument` is used because vitest loads `openai` as ESM, which require-hooks never see.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import * as openAiModule from 'openai';
import type { OtlpSpan } from '../../src/model/otlp.ts';
import { CONVERSATION, WEATHER_TOOL, startChatCompletionsServer } from './chat-completions-server.ts';
import { readableSpanToOtlp } from './readable-span-to-otlp.ts';

interface OpenAiInstrumentation {
  setTracerProvider(provider: BasicTracerProvider): void;
  enable(): void;
  disable(): void;
  manuallyInstrument(module: unknown): void;
}

/** Runs the call inside a caller's context (a session or association properties set the way users set them). */
export type AroundCall = (call: () => Promise<unknown>) => Promise<unknown>;

export async function spansFromInstrumentedChatCall(
  instrumentation: OpenAiInstrumentation,
  module: 'namespace' | 'client-class',
  around: AroundCall = (call) => call(),
): Promise<OtlpSpan[]> {
  const server = await startChatCompletionsServer();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  // OpenInference patches `module.OpenAI.Chat...`, Traceloop `module.Chat...`.
  instrumentation.manuallyInstrument(module === 'namespace' ? openAiModule : OpenAI);
  try {
    const client = new OpenAI({ apiKey: 'test-key', baseURL: server.baseURL });
    await around(() =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: CONVERSATION, tools: [WEATHER_TOOL] }),
    );
  } finally {
    instrumentation.disable();
    await server.close();
  }
  return exporter.getFinishedSpans().map((span) => readableSpanToOtlp(span));
}
