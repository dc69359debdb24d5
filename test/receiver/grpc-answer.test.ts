import { status } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { grpcAnswer, unauthenticatedAnswer, type GrpcAnswer } from '../../collector/grpc/grpc-answer.ts';
import { encodeExportResponse } from '../../collector/otlp/index.ts';

const rpc = protobuf.parse(`syntax = "proto3"; package google.rpc;
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message RetryInfo { Duration retry_delay = 1; }`).root;

function failure(answer: GrpcAnswer) {
  if (answer.status !== 'failed') throw new Error(`expected a failed answer, got ${answer.status}`);
  return answer.failure;
}

/** The RetryInfo delay in `grpc-status-details-bin`, as the OTel exporters read it. */
function retryDelayMillis(answer: GrpcAnswer): { code: number; millis: number } {
  const details = failure(answer).metadata?.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(details)) throw new Error('no grpc-status-details-bin');
  const decoded = rpc.lookupType('google.rpc.Status').decode(details) as unknown as {
    code: number;
    details: Array<{ typeUrl: string; value: Uint8Array }>;
  };
  const [detail] = decoded.details;
  expect(detail?.typeUrl).toBe('type.googleapis.com/google.rpc.RetryInfo');
  const info = rpc.lookupType('google.rpc.RetryInfo').decode(detail!.value) as unknown as {
    retryDelay: { seconds: number | { toNumber(): number }; nanos?: number };
  };
  return { code: decoded.code, millis: Number(info.retryDelay.seconds) * 1000 + (info.retryDelay.nanos ?? 0) / 1e6 };
}

describe('OTLP/gRPC answers to export outcomes', () => {
  it('answers an accepted export with OK and the protobuf response bytes', () => {
    const partialSuccess = { rejected: 1, errorMessage: 'end before start' };
    const response = encodeExportResponse('logs', 'protobuf', partialSuccess);
    const answer = grpcAnswer({ status: 'accepted', partialSuccess, response });
    expect(answer).toEqual({ status: 'ok', response: Buffer.from(response as Uint8Array) });
  });

  it('answers undecodable data with INVALID_ARGUMENT and no retry information', () => {
    const answered = failure(grpcAnswer({ status: 'invalid', message: 'ResourceLogs[0]: truncated' }));
    expect(answered).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'cannot decode OTLP protobuf message: ResourceLogs[0]: truncated',
    });
  });

  it('answers a message over the limit with RESOURCE_EXHAUSTED and an unsupported encoding with UNIMPLEMENTED', () => {
    expect(failure(grpcAnswer({ status: 'too_large', message: 'too big' }))).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details: 'too big',
    });
    expect(failure(grpcAnswer({ status: 'unsupported', message: 'unknown compression' }))).toEqual({
      code: status.UNIMPLEMENTED,
      details: 'unknown compression',
    });
  });

  it('answers an overloaded receiver with RESOURCE_EXHAUSTED and an unavailable one with UNAVAILABLE, each with RetryInfo', () => {
    const overloaded = grpcAnswer({ status: 'overloaded', retryAfterSeconds: 1, message: 'receiver overloaded' });
    expect(failure(overloaded)).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: 'receiver overloaded' });
    expect(retryDelayMillis(overloaded)).toEqual({ code: status.RESOURCE_EXHAUSTED, millis: 1000 });
    const unavailable = grpcAnswer({
      status: 'unavailable',
      retryAfterSeconds: 2.5,
      message: 'ClickHouse is unavailable',
    });
    expect(failure(unavailable)).toMatchObject({ code: status.UNAVAILABLE, details: 'ClickHouse is unavailable' });
    expect(retryDelayMillis(unavailable)).toEqual({ code: status.UNAVAILABLE, millis: 2500 });
  });

  it('answers missing and invalid credentials with UNAUTHENTICATED, saying which', () => {
    expect(failure(unauthenticatedAnswer({ status: 'missing' }))).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(/^missing bearer token/),
    });
    expect(failure(unauthenticatedAnswer({ status: 'invalid' }))).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(/^invalid bearer token/),
    });
  });
});
