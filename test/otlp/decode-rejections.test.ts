import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  MAX_REJECTION_MESSAGES,
  decodeTracesJson,
  decodeTracesProtobuf,
  type DecodeLimits,
} from '../../collector/otlp/index.ts';
import type { DecodedTraces } from '../../src/model/otlp.ts';
import { startCaptureServer, type CaptureServer } from './capture-server.ts';
import { exportSpans, type Encoding } from './exporters.ts';
import { recordAgentSpans, withOverrides } from './span-fixtures.ts';

let server: CaptureServer;
let recorded: ReadableSpan[];

beforeAll(async () => {
  server = await startCaptureServer();
  recorded = recordAgentSpans();
});

afterAll(async () => {
  await server.close();
});

function named(name: string): ReadableSpan {
  const span = recorded.find((candidate) => candidate.name === name);
  if (span === undefined) throw new Error(`no recorded span named ${name}`);
  return span;
}

/** A recorded span whose span context is replaced, as a buggy SDK or hand-rolled exporter would send it. */
function withContext(span: ReadableSpan, context: { traceId?: string; spanId?: string }): ReadableSpan {
  const original = span.spanContext();
  return withOverrides(span, { spanContext: () => ({ ...original, ...context }) });
}

async function decodeBoth(spans: ReadableSpan[], limits: DecodeLimits): Promise<Record<Encoding, DecodedTraces>> {
  return {
    protobuf: decodeTracesProtobuf(await exportSpans(server, 'protobuf', spans), limits),
    json: decodeTracesJson(await exportSpans(server, 'json', spans), limits),
  };
}

const generous: DecodeLimits = { maxAttributeBytes: 1024 * 1024 };

describe('spans that decode but are invalid are rejected into partial success', () => {
  it('rejects spans with wrong-length or all-zero ids and keeps the valid ones, in both encodings', async () => {
    const tool = named('execute_tool get_weather');
    const agent = named('invoke_agent planner');
    const spans = [
      tool,
      withContext(named('publish result'), { traceId: 'abcdef0123' }),
      withContext(named('consume result'), { spanId: 'abcd' }),
      withContext(agent, { traceId: '0'.repeat(32) }),
      withContext(named('chat gpt-4o'), { spanId: '0'.repeat(16) }),
    ];
    const decoded = await decodeBoth(spans, generous);
    expect(decoded.json).toEqual(decoded.protobuf);
    expect(decoded.protobuf.spans.map((span) => span.name)).toEqual(['execute_tool get_weather']);
    expect(decoded.protobuf.rejected).toBe(4);
    // The exporters group spans by resource, so the order is not the input order.
    expect([...decoded.protobuf.rejectionMessages].sort()).toEqual(
      [
        `span "publish result" (${named('publish result').spanContext().spanId}): trace id is 5 bytes, expected 16`,
        'span "consume result" (abcd): span id is 2 bytes, expected 8',
        `span "invoke_agent planner" (${agent.spanContext().spanId}): trace id is all zeros`,
        'span "chat gpt-4o" (0000000000000000): span id is all zeros',
      ].sort(),
    );
  });

  it('rejects a span whose parent span id is neither empty nor 8 bytes', async () => {
    const tool = named('execute_tool get_weather');
    const badParent = withOverrides(tool, { parentSpanContext: { ...tool.parentSpanContext, spanId: 'abcdef' } });
    const decoded = await decodeBoth([badParent], generous);
    expect(decoded.json).toEqual(decoded.protobuf);
    expect(decoded.protobuf.rejectionMessages).toEqual([
      `span "execute_tool get_weather" (${tool.spanContext().spanId}): parent span id is 3 bytes, expected 0 or 8`,
    ]);
  });

  it('rejects a span that ends before it starts', async () => {
    const tool = named('execute_tool get_weather');
    const reversed = withOverrides(tool, { startTime: [1_700_000_010, 0], endTime: [1_700_000_000, 5] });
    const decoded = await decodeBoth([reversed], generous);
    expect(decoded.json).toEqual(decoded.protobuf);
    expect(decoded.protobuf.rejected).toBe(1);
    expect(decoded.protobuf.rejectionMessages[0]).toBe(
      `span "execute_tool get_weather" (${tool.spanContext().spanId}): end time 1700000000000000005 is before start time 1700000010000000000`,
    );
  });

  it('rejects a span with an attribute over --max-attribute-bytes and names the attribute and sizes', async () => {
    const chat = named('chat gpt-4o');
    const huge = withOverrides(chat, {
      attributes: { ...chat.attributes, 'gen_ai.input.messages': 'm'.repeat(2048) },
    });
    const decoded = await decodeBoth([huge, named('execute_tool get_weather')], { maxAttributeBytes: 1024 });
    expect(decoded.json).toEqual(decoded.protobuf);
    expect(decoded.protobuf.spans.map((span) => span.name)).toEqual(['execute_tool get_weather']);
    expect(decoded.protobuf.rejectionMessages).toEqual([
      `span "chat gpt-4o" (${chat.spanContext().spanId}): attribute "gen_ai.input.messages" is 2048 bytes, over the 1024-byte per-attribute limit (--max-attribute-bytes)`,
    ]);
  });

  it('measures multi-byte UTF-8 and structured values the same way in both encodings', async () => {
    const chat = named('chat gpt-4o');
    const limit = 1000;
    const unicode = withOverrides(chat, { attributes: { text: 'é'.repeat(600) } });
    const list = withOverrides(named('execute_tool get_weather'), { attributes: { list: Array(300).fill('abcd') } });
    const decoded = await decodeBoth([unicode, list], { maxAttributeBytes: limit });
    expect(decoded.json).toEqual(decoded.protobuf);
    expect(decoded.protobuf.rejected).toBe(2);
    expect(decoded.protobuf.rejectionMessages[0]).toContain('attribute "text" is 1200 bytes');
    // 300 × (tag + length + AnyValue{tag + length + 4 bytes}) = 300 × 8.
    expect(decoded.protobuf.rejectionMessages[1]).toContain('attribute "list" is 2400 bytes');
  });

  it('rejects a span with an oversized event attribute, naming the event', async () => {
    const chat = named('chat gpt-4o');
    const [prompt] = chat.events;
    const bigEvent = { ...prompt!, attributes: { 'gen_ai.prompt': 'p'.repeat(5000) } };
    const span = withOverrides(chat, { events: [bigEvent] });
    const decoded = await decodeBoth([span], { maxAttributeBytes: 4096 });
    expect(decoded.json).toEqual(decoded.protobuf);
    expect(decoded.protobuf.rejectionMessages).toEqual([
      `span "chat gpt-4o" (${chat.spanContext().spanId}): event "gen_ai.content.prompt" attribute "gen_ai.prompt" is 5000 bytes, over the 4096-byte per-attribute limit (--max-attribute-bytes)`,
    ]);
  });

  it('counts every rejected span but keeps only the first few messages', async () => {
    const tool = named('execute_tool get_weather');
    const spans = Array.from({ length: 25 }, (_, index) =>
      withOverrides(withContext(tool, { spanId: 'ff'.repeat(1 + (index % 5)) }), { name: `bad ${index}` }),
    );
    const decoded = await decodeBoth(spans, generous);
    expect(decoded.protobuf.rejected).toBe(25);
    expect(decoded.protobuf.rejectionMessages).toHaveLength(MAX_REJECTION_MESSAGES);
    expect(decoded.json.rejected).toBe(25);
    expect(decoded.protobuf.spans).toEqual([]);
  });
});
