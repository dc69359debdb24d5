import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPLogExporter as ProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';

let receiver: Receiver;

beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

async function emitEvaluation(exporter: LogRecordExporter, traceId: string, spanId: string): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'judge' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
  provider.getLogger('evals').emit({
    eventName: 'gen_ai.evaluation.result',
    context,
    attributes: {
      'gen_ai.evaluation.name': 'correctness',
      'gen_ai.evaluation.score.value': 0.75,
      'gen_ai.evaluation.score.label': 'pass',
      'gen_ai.evaluation.explanation': 'the answer cites the right source',
    },
  });
  await provider.forceFlush();
  await provider.shutdown();
}

describe('OTLP logs carry GenAI events linked to their trace and span', () => {
  const cases: Array<[string, (url: string, grpc: string) => LogRecordExporter]> = [
    ['http/protobuf', (url) => new ProtobufLogExporter({ url: `${url}/v1/logs` })],
    ['http/json', (url) => new JsonLogExporter({ url: `${url}/v1/logs`, compression: 'gzip' as never })],
    ['grpc', (_url, grpc) => new GrpcLogExporter({ url: `http://${grpc}` })],
  ];
  for (const [transport, createExporter] of cases) {
    it(`stores a gen_ai.evaluation.result event sent over ${transport}`, async () => {
      const traceId = Buffer.from(transport.padEnd(16, '.')).toString('hex').slice(0, 32);
      const spanId = '00f067aa0ba902b7';
      await emitEvaluation(createExporter(receiver.httpUrl, receiver.grpcAddress), traceId, spanId);
      await receiver.flush();
      const rows = await queryRows<Record<string, unknown>>(
        receiver,
        'SELECT trace_id, span_id, event_name, evaluation_name, evaluation_score, evaluation_label, service_name, attributes FROM events FINAL WHERE trace_id = {t:String}',
        { t: traceId },
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        trace_id: traceId,
        span_id: spanId,
        event_name: 'gen_ai.evaluation.result',
        evaluation_name: 'correctness',
        evaluation_score: 0.75,
        evaluation_label: 'pass',
        service_name: 'judge',
      });
      expect(JSON.parse(rows[0]!['attributes'] as string)['gen_ai.evaluation.explanation']).toBe(
        'the answer cites the right source',
      );
    });
  }
});
