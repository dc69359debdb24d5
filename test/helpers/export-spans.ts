/**
 * Produces spans with the real OpenTelemetry SDK and sends them with the real OTLP exporters, returning the
 * exporter's own verdict, so transport tests exercise exactly what agents in the field send.
 */
import { Metadata } from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

export type Transport = 'http/json' | 'http/protobuf' | 'grpc';

export interface ExporterTarget {
  httpUrl: string;
  grpcAddress: string;
  headers?: Record<string, string>;
  compression?: 'gzip' | 'none';
}

export function createTraceExporter(transport: Transport, target: ExporterTarget): SpanExporter {
  const compression = (target.compression ?? 'none') as never;
  if (transport === 'grpc') {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(target.headers ?? {})) metadata.set(key.toLowerCase(), value);
    return new GrpcTraceExporter({ url: `http://${target.grpcAddress}`, metadata, compression });
  }
  const options = { url: `${target.httpUrl}/v1/traces`, headers: target.headers ?? {}, compression };
  return transport === 'http/json' ? new JsonTraceExporter(options) : new ProtobufTraceExporter(options);
}

/** Records spans produced by `produce` in memory (with the given resource attributes) and returns them. */
export async function recordSpans(
  produce: (tracer: Tracer) => void | Promise<void>,
  resourceAttributes: Record<string, string> = { 'service.name': 'test-agent' },
): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  await produce(provider.getTracer('test-scope', '1.2.3'));
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

export function exportSucceeded(result: ExportResult): boolean {
  return result.code === ExportResultCode.SUCCESS;
}

/** A small agent run: invoke_agent -> chat (with a tool call) -> execute_tool -> chat. */
export function produceAgentRun(tracer: Tracer, label = 'weather'): void {
  // No context manager is registered in tests, so parents are passed explicitly.
  const agent = tracer.startSpan('invoke_agent planner', {
    kind: SpanKind.INTERNAL,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'planner',
      'trajectory.task.description': `what is the ${label}?`,
    },
  });
  const inAgent = trace.setSpan(ROOT_CONTEXT, agent);
  {
    const chat = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 42,
          'gen_ai.usage.output_tokens': 7,
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: `what is the ${label}?` }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            {
              role: 'assistant',
              parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup', arguments: { q: label } }],
              finish_reason: 'tool_call',
            },
          ]),
        },
      },
      inAgent,
    );
    chat.end();
    const tool = tracer.startSpan(
      'execute_tool lookup',
      {
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'lookup',
          'gen_ai.tool.call.id': 'call_1',
          'gen_ai.tool.call.arguments': JSON.stringify({ q: label }),
          'gen_ai.tool.call.result': 'sunny',
        },
      },
      inAgent,
    );
    tool.setStatus({ code: SpanStatusCode.OK });
    tool.end();
    agent.end();
  }
}
