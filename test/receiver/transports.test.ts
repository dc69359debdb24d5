import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
  type Transport,
} from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';

let receiver: Receiver;

beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

async function fetchTrace(traceId: string): Promise<{ spans: Array<Record<string, any>> }> {
  const response = await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { spans: Array<Record<string, any>> };
}

const cases: Array<{ transport: Transport; compression: 'gzip' | 'none' }> = [
  { transport: 'http/json', compression: 'none' },
  { transport: 'http/json', compression: 'gzip' },
  { transport: 'http/protobuf', compression: 'none' },
  { transport: 'http/protobuf', compression: 'gzip' },
  { transport: 'grpc', compression: 'none' },
  { transport: 'grpc', compression: 'gzip' },
];

describe('OTLP transports through the real OpenTelemetry exporters', () => {
  for (const { transport, compression } of cases) {
    it(`stores an agent run sent over ${transport} (${compression})`, async () => {
      const spans = await recordSpans((tracer) => produceAgentRun(tracer, `${transport}-${compression}`));
      const exporter = createTraceExporter(transport, { ...receiver, compression });
      const result = await exportSpans(exporter, spans);
      await exporter.shutdown();
      expect(result.error).toBeUndefined();
      expect(exportSucceeded(result)).toBe(true);
      await receiver.flush();

      const traceId = spans[0]!.spanContext().traceId;
      const { spans: stored } = await fetchTrace(traceId);
      expect(stored).toHaveLength(3);
      const byKind = Object.fromEntries(stored.map((span) => [span.kind, span]));
      expect(byKind['agent']).toMatchObject({
        name: 'invoke_agent planner',
        agent_name: 'planner',
        parent_span_id: '',
        status: 'unset',
      });
      expect(byKind['llm']).toMatchObject({
        name: 'chat gpt-4o',
        model: 'gpt-4o',
        provider: 'openai',
        input_tokens: 42,
        output_tokens: 7,
        parent_span_id: byKind['agent']!.span_id,
        span_kind: 'client',
      });
      expect(byKind['llm']!.input_messages).toEqual([
        { role: 'user', content: `what is the ${transport}-${compression}?` },
      ]);
      expect(byKind['llm']!.output_messages[0]).toMatchObject({
        role: 'assistant',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'lookup', arguments: JSON.stringify({ q: `${transport}-${compression}` }) },
          },
        ],
      });
      expect(byKind['tool']).toMatchObject({
        tool_name: 'lookup',
        tool_call_id: 'call_1',
        tool_result: 'sunny',
        status: 'ok',
      });
      // The original attributes and resource are kept next to the mapped columns.
      expect(byKind['llm']!.attributes['gen_ai.request.model']).toBe('gpt-4o');
      expect(byKind['llm']!.resource_attributes['service.name']).toBe('test-agent');
      expect(BigInt(byKind['llm']!.start_time_unix_nano)).toBeGreaterThan(1_600_000_000_000_000_000n);
    });
  }

  it('stores a span delivered twice (client retry) once', async () => {
    const spans = await recordSpans((tracer) => produceAgentRun(tracer, 'retry'));
    const exporter = createTraceExporter('http/protobuf', receiver);
    expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
    expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
    await exporter.shutdown();
    await receiver.flush();
    const traceId = spans[0]!.spanContext().traceId;
    expect((await fetchTrace(traceId)).spans).toHaveLength(3);
    const [countRow] = await queryRows<{ rows: string }>(
      receiver,
      'SELECT count() AS rows FROM spans FINAL WHERE trace_id = {t:String}',
      { t: traceId },
    );
    expect(Number(countRow?.rows)).toBe(3);
  });

  it('answers 404 for an unknown trace and 400 for a malformed trace id', async () => {
    expect((await fetch(`${receiver.httpUrl}/v1/traces/${'ab'.repeat(16)}`)).status).toBe(404);
    const bad = await fetch(`${receiver.httpUrl}/v1/traces/not-a-trace`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/trace_id/);
  });

  it('reports ready on /healthz', async () => {
    const response = await fetch(`${receiver.httpUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', store: 'embedded' });
  });
});
