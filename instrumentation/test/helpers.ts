/**
 * Test fixtures: the local model server, the real SDK clients pointed at it, and `register()` with an in-memory
 * exporter so each test can read the spans its calls produced.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { AttributeValue } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { startModelServer, type ModelServer } from '../../examples/model-server.ts';
import { register, type InstrumentationHandle, type RegisterOptions } from '../src/index.ts';

export interface Fixture {
  server: ModelServer;
  readonly exporter: InMemorySpanExporter;
  openai: OpenAI;
  anthropic: Anthropic;
  handle: InstrumentationHandle;
  /** Re-registers with other options (content capture, redaction) and a fresh exporter. */
  reregister(options?: RegisterOptions): void;
  close(): Promise<void>;
}

export async function startFixture(options: RegisterOptions = {}): Promise<Fixture> {
  const server = await startModelServer();
  // Shutting a provider down stops its exporter, so every registration gets a fresh in-memory exporter.
  let exporter = new InMemorySpanExporter();
  const registerWith = (extra: RegisterOptions): InstrumentationHandle =>
    register({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
      modules: { openai: OpenAI, anthropic: Anthropic },
      autoInstrument: false,
      ...extra,
    });
  const fixture: Fixture = {
    server,
    get exporter() {
      return exporter;
    },
    openai: new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: 'test-key', maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: server.url, apiKey: 'test-key', maxRetries: 0 }),
    handle: registerWith(options),
    reregister(extra = {}) {
      exporter = new InMemorySpanExporter();
      fixture.handle = registerWith(extra);
    },
    async close() {
      await fixture.handle.shutdown();
      await server.close();
    },
  };
  return fixture;
}

export function spansNamed(exporter: InMemorySpanExporter, name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

export function onlySpan(exporter: InMemorySpanExporter, name: string): ReadableSpan {
  const spans = spansNamed(exporter, name);
  if (spans.length !== 1) {
    throw new Error(
      `expected one span named ${name}, got ${spans.length}: ${exporter
        .getFinishedSpans()
        .map((span) => span.name)
        .join(', ')}`,
    );
  }
  return spans[0] as ReadableSpan;
}

/** Parses a JSON-valued attribute. */
export function jsonAttribute(span: ReadableSpan, key: string): unknown {
  const value: AttributeValue | undefined = span.attributes[key];
  if (typeof value !== 'string') throw new Error(`attribute ${key} is not a JSON string: ${String(value)}`);
  return JSON.parse(value);
}

export const calculatorTool = {
  type: 'function' as const,
  function: {
    name: 'calculator',
    description: 'Evaluates an arithmetic expression',
    parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
  },
};

export const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
