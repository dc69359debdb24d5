import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLogsJson, decodeLogsProtobuf, type DecodeLimits } from '../../collector/otlp/index.ts';
import type { DecodedLogs } from '../../src/model/otlp.ts';
import { startCaptureServer, type CaptureServer } from './capture-server.ts';
import { exportLogs } from './exporters.ts';
import { recordAgentLogs, withOverrides, type RecordedLogs } from './span-fixtures.ts';

const limits: DecodeLimits = { maxAttributeBytes: 1024 * 1024 };

let server: CaptureServer;
let recorded: RecordedLogs;
let fromProtobuf: DecodedLogs;
let fromJson: DecodedLogs;

beforeAll(async () => {
  server = await startCaptureServer();
  recorded = recordAgentLogs();
  fromProtobuf = decodeLogsProtobuf(await exportLogs(server, 'protobuf', recorded.records), limits);
  fromJson = decodeLogsJson(await exportLogs(server, 'json', recorded.records), limits);
});

afterAll(async () => {
  await server.close();
});

describe('decoding log records sent by the real OTLP exporters', () => {
  it('decodes an event record with event name, kvlist body and trace/span ids', () => {
    expect(fromProtobuf.rejected).toBe(0);
    expect(fromProtobuf.logs).toHaveLength(2);
    const [choice] = fromProtobuf.logs;
    expect(choice).toMatchObject({
      eventName: 'gen_ai.choice',
      severityNumber: 9,
      severityText: 'INFO',
      traceId: recorded.traceId,
      spanId: recorded.spanId,
      flags: 1,
      body: {
        index: 0,
        finish_reason: 'tool_calls',
        message: { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function' }] },
        raw: new Uint8Array([9, 8, 7]),
      },
      attributes: { 'gen_ai.system': 'openai', 'test.kvlist': { a: 1 }, 'test.bytes': new Uint8Array([1, 2]) },
    });
    expect(choice?.resource.attributes['service.name']).toBe('agent-a');
    expect(choice?.scope).toEqual({ name: 'genai-events', version: '0.1.0', attributes: {} });
    expect(choice?.timeUnixNano).toBeGreaterThan(0n);
    expect(choice?.observedTimeUnixNano).toBeGreaterThan(0n);
  });

  it('falls back to the event.name attribute and leaves ids empty outside a trace', () => {
    const legacy = fromProtobuf.logs[1];
    expect(legacy).toMatchObject({
      eventName: 'legacy.event',
      body: 'plain text body',
      severityNumber: 13,
      traceId: '',
      spanId: '',
    });
  });

  it('decodes the JSON encoding of the same records to exactly the same model', () => {
    expect(fromJson).toEqual(fromProtobuf);
  });

  it('rejects a record with a malformed trace id in both encodings, keeping the others', async () => {
    const [good, other] = recorded.records;
    const badContext = { traceId: 'abcdef', spanId: recorded.spanId, traceFlags: 1 };
    const bad = withOverrides(other!, { spanContext: badContext });
    for (const encoding of ['protobuf', 'json'] as const) {
      const body = await exportLogs(server, encoding, [good!, bad]);
      const decoded = encoding === 'protobuf' ? decodeLogsProtobuf(body, limits) : decodeLogsJson(body, limits);
      expect(decoded.logs.map((log) => log.eventName)).toEqual(['gen_ai.choice']);
      expect(decoded.rejected).toBe(1);
      expect(decoded.rejectionMessages[0]).toMatch(
        /^log record "legacy\.event" \(.*\): trace id is 3 bytes, expected 0 or 16$/,
      );
    }
  });

  it('rejects a record whose body is over the per-attribute limit', async () => {
    const [good, other] = recorded.records;
    const big = withOverrides(other!, { body: 'x'.repeat(2000) });
    for (const encoding of ['protobuf', 'json'] as const) {
      const body = await exportLogs(server, encoding, [good!, big]);
      const small: DecodeLimits = { maxAttributeBytes: 1000 };
      const decoded = encoding === 'protobuf' ? decodeLogsProtobuf(body, small) : decodeLogsJson(body, small);
      expect(decoded.rejected).toBe(1);
      expect(decoded.rejectionMessages[0]).toContain(
        'body is 2000 bytes, over the 1000-byte per-attribute limit (--max-attribute-bytes)',
      );
    }
  });
});
