import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeTracesJson, decodeTracesProtobuf, type DecodeLimits } from '../../collector/otlp/index.ts';
import type { DecodedTraces, OtlpSpan } from '../../src/model/otlp.ts';
import { startCaptureServer, type CaptureServer } from './capture-server.ts';
import { exportSpans } from './exporters.ts';
import { LINKED_SPAN_ID, LINKED_TRACE_ID, recordAgentSpans } from './span-fixtures.ts';

const limits: DecodeLimits = { maxAttributeBytes: 1024 * 1024 };

let server: CaptureServer;
let recorded: ReadableSpan[];
let fromProtobuf: DecodedTraces;
let fromJson: DecodedTraces;

beforeAll(async () => {
  server = await startCaptureServer();
  recorded = recordAgentSpans();
  fromProtobuf = decodeTracesProtobuf(await exportSpans(server, 'protobuf', recorded), limits);
  fromJson = decodeTracesJson(await exportSpans(server, 'json', recorded), limits);
});

afterAll(async () => {
  await server.close();
});

function spanNamed(decoded: DecodedTraces, name: string): OtlpSpan {
  const span = decoded.spans.find((candidate) => candidate.name === name);
  if (span === undefined) throw new Error(`no span named ${name}`);
  return span;
}

function recordedNamed(name: string): ReadableSpan {
  const span = recorded.find((candidate) => candidate.name === name);
  if (span === undefined) throw new Error(`no recorded span named ${name}`);
  return span;
}

/**
 * The JS exporter writes an integer attribute above 2^53 (a JS number, so a double) as int64 exactly in protobuf,
 * but in JSON as the number's shortest decimal (`2 ** 60` as 1152921504606847000). The receiver reads each
 * encoding's wire value exactly, as a Go or Java sender's exact decimal needs; so these differ, by the sender.
 */
const LARGE_INTS_AS_JSON_WRITES_THEM = {
  'test.large_int': 1152921504606847000n,
  'test.very_negative_int': -4611686018427388000n,
};

describe('decoding spans sent by the real OTLP exporters', () => {
  it('sends protobuf and JSON bodies with the expected content types', () => {
    const contentTypes = server.requests.map((request) => request.contentType);
    expect(contentTypes).toEqual(['application/x-protobuf', 'application/json']);
  });

  it('decodes every span, none rejected', () => {
    expect(fromProtobuf.rejected).toBe(0);
    expect(fromProtobuf.rejectionMessages).toEqual([]);
    expect(fromProtobuf.spans.map((span) => span.name).sort()).toEqual([
      'chat gpt-4o',
      'consume result',
      'execute_tool get_weather',
      'invoke_agent planner',
      'publish result',
    ]);
  });

  it('decodes the JSON encoding of the same spans to exactly the same model, but for the wire values of big ints', () => {
    const expected = structuredClone(fromProtobuf);
    Object.assign(spanNamed(expected, 'chat gpt-4o').attributes, LARGE_INTS_AS_JSON_WRITES_THEM);
    expect(fromJson).toEqual(expected);
  });

  it('carries ids as lower-case hex, parent ids, timestamps and trace flags', () => {
    for (const decoded of [fromProtobuf, fromJson]) {
      const chat = spanNamed(decoded, 'chat gpt-4o');
      const agent = spanNamed(decoded, 'invoke_agent planner');
      const source = recordedNamed('chat gpt-4o');
      expect(chat.traceId).toBe(source.spanContext().traceId);
      expect(chat.spanId).toBe(source.spanContext().spanId);
      expect(chat.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(chat.parentSpanId).toBe(agent.spanId);
      expect(agent.parentSpanId).toBe('');
      const [seconds, nanos] = source.startTime;
      expect(chat.startTimeUnixNano).toBe(BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
      expect(chat.endTimeUnixNano).toBeGreaterThanOrEqual(chat.startTimeUnixNano);
      // Sampled (0x01) plus the "has is-remote" bit (0x100) the exporter sets.
      expect(chat.flags).toBe(0x101);
    }
  });

  it('decodes every AnyValue type the exporters emit', () => {
    for (const decoded of [fromProtobuf, fromJson]) {
      const attributes = spanNamed(decoded, 'chat gpt-4o').attributes;
      const largeInts =
        decoded === fromJson
          ? LARGE_INTS_AS_JSON_WRITES_THEM
          : { 'test.large_int': 2n ** 60n, 'test.very_negative_int': -(2n ** 62n) };
      expect(attributes).toEqual({
        ...largeInts,
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.request.stream': false,
        'gen_ai.response.finish_reasons': ['tool_calls', 'stop'],
        'test.numbers': [1, 2.5, -3],
        'test.bools': [true, false],
        'test.negative_int': -42,
        'test.unicode': 'grüße, 世界 🚀',
        'test.kvlist': { role: 'assistant', tokens: 7, nested: { ok: true, list: [1, 'two', null] } },
        'test.bytes': new Uint8Array([0, 1, 2, 254, 255]),
        'test.empty': null,
        'test.mixed_array': ['a', 1, true, 1.5],
      });
      expect(typeof attributes['gen_ai.usage.input_tokens']).toBe('number');
      expect(typeof attributes['test.large_int']).toBe('bigint');
    }
  });

  it('decodes span kinds, status codes and messages', () => {
    for (const decoded of [fromProtobuf, fromJson]) {
      expect(spanNamed(decoded, 'invoke_agent planner').kind).toBe('internal');
      expect(spanNamed(decoded, 'chat gpt-4o').kind).toBe('client');
      expect(spanNamed(decoded, 'execute_tool get_weather').kind).toBe('server');
      expect(spanNamed(decoded, 'publish result').kind).toBe('producer');
      expect(spanNamed(decoded, 'consume result').kind).toBe('consumer');
      expect(spanNamed(decoded, 'chat gpt-4o').status).toEqual({ code: 'error', message: 'rate limited, retried' });
      expect(spanNamed(decoded, 'execute_tool get_weather').status).toEqual({ code: 'ok', message: '' });
      expect(spanNamed(decoded, 'invoke_agent planner').status).toEqual({ code: 'unset', message: '' });
    }
  });

  it('decodes events with and without attributes', () => {
    const chat = spanNamed(fromProtobuf, 'chat gpt-4o');
    const source = recordedNamed('chat gpt-4o');
    expect(chat.events).toHaveLength(2);
    const [prompt, bare] = chat.events;
    expect(prompt).toMatchObject({
      name: 'gen_ai.content.prompt',
      attributes: { 'gen_ai.prompt': 'What is the weather?', 'test.index': 0 },
      droppedAttributesCount: 0,
    });
    const [seconds, nanos] = source.events[0]!.time;
    expect(prompt?.timeUnixNano).toBe(BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
    expect(bare).toMatchObject({ name: 'no attributes', attributes: {} });
    expect(chat.droppedEventsCount).toBe(0);
  });

  it('decodes links with attributes and flags', () => {
    const chat = spanNamed(fromProtobuf, 'chat gpt-4o');
    expect(chat.links).toEqual([
      {
        traceId: LINKED_TRACE_ID,
        spanId: LINKED_SPAN_ID,
        traceState: '',
        attributes: { 'link.reason': 'retry of' },
        droppedAttributesCount: 0,
        // Sampled, has-is-remote and is-remote bits.
        flags: 0x301,
      },
    ]);
    expect(spanNamed(fromProtobuf, 'publish result').links).toEqual([]);
  });

  it('attaches resource and scope, including scope attributes, across several resources and scopes', () => {
    for (const decoded of [fromProtobuf, fromJson]) {
      const chat = spanNamed(decoded, 'chat gpt-4o');
      expect(chat.resource.attributes).toMatchObject({ 'service.name': 'agent-a', 'service.instance.count': 3 });
      expect(chat.scope).toEqual({ name: 'agent-sdk', version: '1.2.3', attributes: { 'scope.flavour': 'genai' } });
      const tool = spanNamed(decoded, 'execute_tool get_weather');
      expect(tool.resource).toBe(chat.resource);
      expect(tool.scope).toEqual({ name: 'tools', version: '', attributes: {} });
      const producer = spanNamed(decoded, 'publish result');
      expect(producer.resource.attributes['service.name']).toBe('agent-b');
      expect(producer.scope.name).toBe('queue');
      expect(producer.attributes).toEqual({});
      expect(producer.traceState).toBe('');
    }
  });
});
