import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { otlpHttpAnswer } from '../../collector/http/otlp-http-answer.ts';
import { encodeExportResponse } from '../../collector/otlp/index.ts';
import type { ExportOutcome } from '../../collector/otlp-export/export-outcome.ts';

const statusType = protobuf
  .parse(
    `syntax = "proto3"; package google.rpc;
    message Any { string type_url = 1; bytes value = 2; }
    message Status { int32 code = 1; string message = 2; repeated Any details = 3; }`,
  )
  .root.lookupType('google.rpc.Status');

function protobufStatus(body: Uint8Array | string): { code: number; message: string } {
  if (typeof body === 'string') throw new Error('expected a protobuf body');
  return statusType.toObject(statusType.decode(body)) as { code: number; message: string };
}

describe('OTLP/HTTP answers to export outcomes', () => {
  it('answers an accepted export with 200 and the encoded response in the request encoding', () => {
    const partialSuccess = { rejected: 2, errorMessage: 'span id is 2 bytes' };
    const outcome: ExportOutcome = {
      status: 'accepted',
      partialSuccess,
      response: encodeExportResponse('traces', 'json', partialSuccess),
    };
    const answer = otlpHttpAnswer(outcome, 'json');
    expect(answer).toMatchObject({ status: 200, headers: {}, contentType: 'application/json' });
    expect(JSON.parse(answer.body as string)).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: 'span id is 2 bytes' },
    });
    const protobufAnswer = otlpHttpAnswer(
      { status: 'accepted', partialSuccess: { rejected: 0, errorMessage: '' }, response: new Uint8Array(0) },
      'protobuf',
    );
    expect(protobufAnswer).toEqual({
      status: 200,
      headers: {},
      contentType: 'application/x-protobuf',
      body: new Uint8Array(0),
    });
  });

  it('answers undecodable data with 400 and an INVALID_ARGUMENT Status saying which body could not be decoded', () => {
    const answer = otlpHttpAnswer({ status: 'invalid', message: 'ResourceSpans[0]: truncated' }, 'protobuf');
    expect(answer).toMatchObject({ status: 400, headers: {}, contentType: 'application/x-protobuf' });
    expect(protobufStatus(answer.body)).toEqual({
      code: 3,
      message: 'cannot decode OTLP protobuf body: ResourceSpans[0]: truncated',
    });
    const json = otlpHttpAnswer({ status: 'invalid', message: 'not valid gzip: incorrect header check' }, 'json');
    expect(json.contentType).toBe('application/json');
    expect(JSON.parse(json.body as string)).toEqual({
      code: 3,
      message: 'cannot decode OTLP json body: not valid gzip: incorrect header check',
    });
  });

  it('answers a body over the limit with 413 and an unsupported encoding with 415, neither retryable', () => {
    const tooLarge = otlpHttpAnswer({ status: 'too_large', message: 'over the 10-byte limit' }, 'json');
    expect(tooLarge).toMatchObject({ status: 413, headers: {} });
    expect(JSON.parse(tooLarge.body as string)).toEqual({ code: 8, message: 'over the 10-byte limit' });
    const unsupported = otlpHttpAnswer(
      { status: 'unsupported', message: 'unsupported Content-Encoding "br"' },
      'protobuf',
    );
    expect(unsupported).toMatchObject({ status: 415, headers: {} });
    expect(protobufStatus(unsupported.body)).toEqual({ code: 3, message: 'unsupported Content-Encoding "br"' });
  });

  it('answers an overloaded receiver with 429 and an unavailable one with 503, both with Retry-After in whole seconds', () => {
    const overloaded = otlpHttpAnswer(
      { status: 'overloaded', retryAfterSeconds: 1, message: 'receiver overloaded' },
      'json',
    );
    expect(overloaded).toMatchObject({ status: 429, headers: { 'Retry-After': '1' }, contentType: 'application/json' });
    expect(JSON.parse(overloaded.body as string)).toEqual({ code: 8, message: 'receiver overloaded' });
    const unavailable = otlpHttpAnswer(
      { status: 'unavailable', retryAfterSeconds: 2.5, message: 'ClickHouse is unavailable' },
      'protobuf',
    );
    expect(unavailable).toMatchObject({ status: 503, headers: { 'Retry-After': '3' } });
    expect(protobufStatus(unavailable.body)).toEqual({ code: 14, message: 'ClickHouse is unavailable' });
  });
});
