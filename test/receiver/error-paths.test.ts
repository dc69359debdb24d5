import { gzipSync } from 'node:zlib';
import { status as grpcStatus } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { rawGrpcExport } from '../helpers/raw-grpc-client.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';

const statusType = protobuf
  .parse(
    `syntax = "proto3"; package google.rpc;
    message Any { string type_url = 1; bytes value = 2; }
    message Status { int32 code = 1; string message = 2; repeated Any details = 3; }`,
  )
  .root.lookupType('google.rpc.Status');

let receiver: Receiver;
const maxRequestBytes = 64 * 1024;

beforeAll(async () => {
  receiver = await startTestReceiver({ maxRequestBytes, maxAttributeBytes: 1024 });
});
afterAll(async () => {
  await receiver?.close();
});

function post(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${receiver.httpUrl}${path}`, { method: 'POST', body, headers });
}

const traceId = '5b8efff798038103d269b633813fc60c';

function jsonSpan(spanId: string, attributes: Array<{ key: string; value: { stringValue: string } }> = []) {
  return {
    traceId,
    spanId,
    name: `span-${spanId}`,
    kind: 1,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000001000000000',
    attributes,
  };
}

function jsonRequest(spans: unknown[]) {
  return JSON.stringify({
    resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans }] }],
  });
}

async function storedSpanCount(): Promise<number> {
  await receiver.flush();
  const [row] = await queryRows<{ n: string }>(
    receiver,
    'SELECT count() AS n FROM spans FINAL WHERE trace_id = {t:String}',
    { t: traceId },
  );
  return Number(row?.n ?? 0);
}

describe('OTLP/HTTP error paths', () => {
  it('rejects an undecodable protobuf body with 400 and a google.rpc.Status naming the problem', async () => {
    const response = await post('/v1/traces', Uint8Array.from([0x0a, 0xff, 0xff, 0x01, 0x02]), {
      'Content-Type': 'application/x-protobuf',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    const status = statusType.decode(new Uint8Array(await response.arrayBuffer())) as unknown as {
      code: number;
      message: string;
    };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/cannot decode OTLP protobuf body/);
  });

  it('rejects invalid JSON with 400 and a JSON Status', async () => {
    const response = await post('/v1/traces', '{"resourceSpans": [', { 'Content-Type': 'application/json' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: number; message: string };
    expect(body.code).toBe(3);
    expect(body.message).toMatch(/cannot decode OTLP json body/);
  });

  it('answers 200 with partial_success when some spans are invalid, and stores the valid ones', async () => {
    const response = await post('/v1/traces', jsonRequest([jsonSpan('00f067aa0ba902b7'), jsonSpan('1234')]), {
      'Content-Type': 'application/json',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      partialSuccess: { rejectedSpans: string | number; errorMessage: string };
    };
    expect(Number(body.partialSuccess.rejectedSpans)).toBe(1);
    expect(body.partialSuccess.errorMessage).toMatch(/1234|span id/i);
    expect(await storedSpanCount()).toBe(1);
  });

  it('rejects a span whose attribute is over the per-attribute limit, naming the attribute', async () => {
    const big = [{ key: 'gen_ai.input.messages', value: { stringValue: 'x'.repeat(5000) } }];
    const response = await post('/v1/traces', jsonRequest([jsonSpan('00f067aa0ba902b8', big)]), {
      'Content-Type': 'application/json',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      partialSuccess: { rejectedSpans: string | number; errorMessage: string };
    };
    expect(Number(body.partialSuccess.rejectedSpans)).toBe(1);
    expect(body.partialSuccess.errorMessage).toMatch(/gen_ai\.input\.messages/);
  });

  it('stores a span whose values have no column form (negative tokens, NaN reward) with those fields unknown', async () => {
    const spanId = '00f067aa0ba902c1';
    const span = {
      ...jsonSpan(spanId),
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: '-5' } },
        { key: 'agentlightning.reward.0.name', value: { stringValue: 'score' } },
        { key: 'agentlightning.reward.0.value', value: { doubleValue: 'NaN' } },
      ],
    };
    const response = await post('/v1/traces', jsonRequest([span]), { 'Content-Type': 'application/json' });
    expect(response.status).toBe(200);
    await receiver.flush();
    const rows = await queryRows<{ input_tokens: unknown; rewards: unknown[] }>(
      receiver,
      'SELECT input_tokens, rewards FROM spans FINAL WHERE span_id = {s:String}',
      { s: spanId },
    );
    expect(rows).toEqual([{ input_tokens: null, rewards: [] }]);
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await post('/v1/traces', 'x'.repeat(maxRequestBytes + 1), { 'Content-Type': 'application/json' });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { message: string }).message).toMatch(/limit/);
  });

  it('refuses a gzip body that inflates past the limit with 413 without storing anything', async () => {
    const before = await storedSpanCount();
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(maxRequestBytes);
    const response = await post('/v1/traces', bomb, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    expect(response.status).toBe(413);
    expect(await storedSpanCount()).toBe(before);
  });

  it('answers 400 for a body that claims gzip but is not', async () => {
    const response = await post('/v1/traces', 'not gzip', {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
    });
    expect(response.status).toBe(400);
  });

  it('answers 415 for unknown content types and encodings', async () => {
    expect((await post('/v1/traces', 'hello', { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect(
      (await post('/v1/traces', '{}', { 'Content-Type': 'application/json', 'Content-Encoding': 'br' })).status,
    ).toBe(415);
  });

  it('answers 404 for unknown paths and 405 with Allow for wrong methods', async () => {
    expect((await fetch(`${receiver.httpUrl}/v1/metrics`, { method: 'POST', body: '{}' })).status).toBe(404);
    const wrongMethod = await fetch(`${receiver.httpUrl}/v1/traces`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('accepts an empty request', async () => {
    const response = await post('/v1/traces', new Uint8Array(0), { 'Content-Type': 'application/x-protobuf' });
    expect(response.status).toBe(200);
  });
});

describe('OTLP/gRPC error paths', () => {
  it('answers INVALID_ARGUMENT for an undecodable message', async () => {
    const { error } = await rawGrpcExport(receiver.grpcAddress, Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]));
    expect(error?.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/cannot decode OTLP protobuf message/);
  });

  it('answers RESOURCE_EXHAUSTED for a message over the size limit', async () => {
    const { error } = await rawGrpcExport(receiver.grpcAddress, Buffer.alloc(maxRequestBytes + 1024, 0));
    expect(error?.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
  });

  it('answers an empty export with OK', async () => {
    const { error, response } = await rawGrpcExport(receiver.grpcAddress, Buffer.alloc(0));
    expect(error).toBeNull();
    expect(response?.length).toBe(0);
  });
});
