/**
 * Trace export requests logged as they arrived and turned into rows by the store writer: the record reads back
 * the request it was made from (tenant, encoding, the attribute limit it was accepted under), and content keys
 * count as stored only once the batch holding them is committed, so a batch built again after a failed insert
 * still carries its contents and a batch built ahead leaves out what the batch before it adds.
 */
import { SpanKind, context, trace, type Context, type Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { TraceRequestRows } from '../../collector/ingest/trace-request-rows.ts';
import {
  decodeTraceRequest,
  readTraceRequest,
  traceRequestRecord,
} from '../../collector/ingest/trace-request-record.ts';
import { decodeTracesProtobuf } from '../../collector/otlp/index.ts';
import { recordSpans } from '../helpers/export-spans.ts';

const limits = { maxAttributeBytes: 1 << 20 };
const system = { role: 'system', parts: [{ type: 'text', content: 'You are a careful assistant. '.repeat(20) }] };

/** One model call of an agent loop: the same system prompt and history, one more message each call. */
function modelCall(tracer: Tracer, parent: Context, call: number): void {
  const history = Array.from({ length: call }, (_, index) => ({
    role: index % 2 === 0 ? 'user' : 'assistant',
    parts: [{ type: 'text', content: `message ${index} of the loop` }],
  }));
  const span = tracer.startSpan(
    `chat gpt-4o ${call}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.input.messages': JSON.stringify([system, ...history]),
      },
    },
    parent,
  );
  span.end();
}

async function loopSpans(calls: number): Promise<ReadableSpan[]> {
  return await recordSpans((tracer) => {
    const root = tracer.startSpan('invoke_agent');
    // No context manager is registered here: the parent is passed, so every call is in the root's trace.
    const parent = trace.setSpan(context.active(), root);
    for (let call = 1; call <= calls; call++) modelCall(tracer, parent, call);
    root.end();
  });
}

function record(spans: ReadableSpan[], tenant = 'acme') {
  const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
  return traceRequestRecord({ tenant, encoding: 'protobuf', limits, body }, spans.length);
}

function contentTexts(payload: Buffer | undefined): string[] {
  if (!payload) return [];
  return payload
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

describe('a logged trace export request', () => {
  it('reads back the tenant, encoding, attribute limit and body it was logged with, in both encodings', async () => {
    const spans = await loopSpans(2);
    for (const encoding of ['protobuf', 'json'] as const) {
      const serialized = (encoding === 'protobuf' ? ProtobufTraceSerializer : JsonTraceSerializer).serializeRequest(
        spans,
      )!;
      const body = Buffer.from(serialized);
      const logged = traceRequestRecord(
        { tenant: 'tenant-ü', encoding, limits: { maxAttributeBytes: 12345 }, body },
        3,
      );
      expect(logged).toMatchObject({ table: 'otlp_traces', rows: 3 });
      const request = readTraceRequest(logged.payload);
      expect(request).toEqual({ tenant: 'tenant-ü', encoding, limits: { maxAttributeBytes: 12345 }, body });
      expect(decodeTraceRequest(request).spans.map((span) => span.name)).toEqual(spans.map((span) => span.name));
    }
  });

  it('decodes under the limit it was accepted with, not a smaller one configured since', async () => {
    const spans = await recordSpans((tracer) => {
      tracer.startSpan('big', { attributes: { 'gen_ai.input.messages': 'x'.repeat(5000) } }).end();
    });
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    expect(decodeTracesProtobuf(body, { maxAttributeBytes: 1000 }).rejected).toBe(1);
    const logged = traceRequestRecord({ tenant: 't', encoding: 'protobuf', limits, body }, 1);
    expect(decodeTraceRequest(readTraceRequest(logged.payload)).spans).toHaveLength(1);
  });

  it('is refused by name when written in a format this release does not read', () => {
    const payload = Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => readTraceRequest(payload)).toThrow(/format 9 is not one this release reads/);
  });
});

describe('rows built from logged requests', () => {
  it('leave out contents a provisional batch adds, and put them back when that batch is built again', async () => {
    const spans = await loopSpans(3);
    const first = record(spans.filter((span) => span.name.endsWith(' 1')));
    const second = record(spans.filter((span) => span.name.endsWith(' 2')));
    const rows = new TraceRequestRows();

    const firstBatch = await rows.build([first]);
    expect(firstBatch.records.map((built) => built.table)).toEqual(['contents', 'spans']);
    const systemText = contentTexts(firstBatch.records[0]?.payload).find((text) => text.includes('careful'));
    expect(systemText).toBeDefined();

    // Built ahead while the first batch is inserted: the system prompt is the first batch's to store.
    const ahead = await rows.build([second]);
    expect(contentTexts(ahead.records.find((built) => built.table === 'contents')?.payload)).not.toContain(systemText);

    // The first batch's insert failed: both are built again, and the first carries the system prompt again.
    rows.discardUncommitted();
    const again = await rows.build([first]);
    expect(contentTexts(again.records[0]?.payload)).toContain(systemText);
    rows.committed(again);
    const afterCommit = await rows.build([second]);
    expect(contentTexts(afterCommit.records.find((built) => built.table === 'contents')?.payload)).not.toContain(
      systemText,
    );
    expect(afterCommit.records.find((built) => built.table === 'spans')?.rows).toBe(1);
  });

  it('keep tenants apart: the same content in another tenant is stored for it too', async () => {
    const spans = await loopSpans(1);
    const rows = new TraceRequestRows();
    const acme = await rows.build([record(spans, 'acme')]);
    rows.committed(acme);
    const other = await rows.build([record(spans, 'other')]);
    expect(contentTexts(other.records[0]?.payload)).toEqual(contentTexts(acme.records[0]?.payload));
  });

  it('pass other records through and set aside a request that cannot be read back', async () => {
    const events = { table: 'events' as const, rows: 1, payload: Buffer.from('{}\n') };
    const unreadable = { table: 'otlp_traces' as const, rows: 1, payload: Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]) };
    const built = await new TraceRequestRows().build([events, unreadable]);
    expect(built.records).toEqual([events]);
    expect(built.unreadable).toEqual([
      { payload: unreadable.payload, reason: expect.stringMatching(/cannot be read back: .*format 9/) },
    ]);
  });
});
