/**
 * Spans and log records as an instrumented agent produces them, recorded with the real OpenTelemetry SDKs.
 * Values the public API refuses on spans (kvlists, bytes, empty values, scope attributes) are put on the
 * recorded spans afterwards with `withOverrides`, so the real exporters still do all of the encoding.
 */

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** A copy of `item` with some properties replaced; methods such as spanContext() keep working. */
export function withOverrides<T extends object>(item: T, overrides: Record<string, unknown>): T {
  const descriptors: PropertyDescriptorMap = {};
  for (const [key, value] of Object.entries(overrides)) descriptors[key] = { value, enumerable: true };
  return Object.create(item, descriptors) as T;
}

export const LINKED_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const LINKED_SPAN_ID = '00f067aa0ba902b7';

/** A small agent run over two resources and three scopes, covering every span feature OTLP carries. */
export function recordAgentSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const providerA = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent-a', 'service.instance.count': 3 }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const providerB = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent-b' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const agentTracer = providerA.getTracer('agent-sdk', '1.2.3');
  const toolTracer = providerA.getTracer('tools');
  const otherTracer = providerB.getTracer('queue');

  const agent = agentTracer.startSpan('invoke_agent planner', {
    kind: SpanKind.INTERNAL,
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' },
  });
  const agentContext = trace.setSpan(ROOT_CONTEXT, agent);
  const chat = agentTracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.request.stream': false,
        'gen_ai.response.finish_reasons': ['tool_calls', 'stop'],
        'test.numbers': [1, 2.5, -3],
        'test.bools': [true, false],
        'test.large_int': 2 ** 60,
        'test.negative_int': -42,
        'test.very_negative_int': -(2 ** 62),
        'test.unicode': 'grüße, 世界 🚀',
      },
      links: [
        {
          context: { traceId: LINKED_TRACE_ID, spanId: LINKED_SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true },
          attributes: { 'link.reason': 'retry of' },
        },
      ],
    },
    agentContext,
  );
  chat.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'What is the weather?', 'test.index': 0 });
  chat.addEvent('no attributes');
  chat.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited, retried' });
  chat.end();
  const tool = toolTracer.startSpan(
    'execute_tool get_weather',
    { kind: SpanKind.SERVER, attributes: { 'gen_ai.tool.name': 'get_weather', 'gen_ai.tool.call.id': 'call_1' } },
    agentContext,
  );
  tool.setStatus({ code: SpanStatusCode.OK });
  tool.end();
  agent.end();
  const producer = otherTracer.startSpan('publish result', { kind: SpanKind.PRODUCER });
  producer.end();
  const consumer = otherTracer.startSpan('consume result', { kind: SpanKind.CONSUMER });
  consumer.end();

  const spans = memory.getFinishedSpans();
  // The API cannot set scope attributes. One shared scope object, because the protobuf serializer groups
  // spans by scope identity and the JSON one by name and version.
  const agentScope = { name: 'agent-sdk', version: '1.2.3', attributes: { 'scope.flavour': 'genai' } };
  return spans.map((span) => {
    if (span.instrumentationScope.name !== 'agent-sdk') return span;
    if (span.name !== 'chat gpt-4o') return withOverrides(span, { instrumentationScope: agentScope });
    // Types the span API refuses but OTLP carries (instrumentations with their own exporters send them).
    const attributes: Record<string, unknown> = {
      ...span.attributes,
      'test.kvlist': { role: 'assistant', tokens: 7, nested: { ok: true, list: [1, 'two', null] } },
      'test.bytes': new Uint8Array([0, 1, 2, 254, 255]),
      'test.empty': null,
      'test.mixed_array': ['a', 1, true, 1.5],
    };
    return withOverrides(span, {
      attributes,
      instrumentationScope: agentScope,
    });
  });
}

export interface RecordedLogs {
  records: ReadableLogRecord[];
  traceId: string;
  spanId: string;
}

export function recordAgentLogs(): RecordedLogs {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent-a' }),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const logger = provider.getLogger('genai-events', '0.1.0');
  const traceId = '5b8efff798038103d269b633813fc60c';
  const spanId = 'eee19b7ec3c1b174';
  const context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
  logger.emit({
    eventName: 'gen_ai.choice',
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: {
      index: 0,
      finish_reason: 'tool_calls',
      message: { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function' }] },
      raw: new Uint8Array([9, 8, 7]),
    },
    attributes: { 'gen_ai.system': 'openai', 'test.kvlist': { a: 1 }, 'test.bytes': new Uint8Array([1, 2]) },
    context,
  });
  logger.emit({
    severityNumber: SeverityNumber.WARN,
    body: 'plain text body',
    attributes: { 'event.name': 'legacy.event' },
  });
  return { records: memory.getFinishedLogRecords(), traceId, spanId };
}
