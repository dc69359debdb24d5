/**
 * How OTLP/gRPC answers each export outcome, per the OTLP specification: OK with the ExportServiceResponse
 * (partial success included), INVALID_ARGUMENT for undecodable data (not retryable), RESOURCE_EXHAUSTED and
 * UNAVAILABLE for a receiver or store that cannot take more, with a google.rpc.RetryInfo in
 * `grpc-status-details-bin` saying when to retry, and UNAUTHENTICATED for a missing or unknown token. Pure
 * functions, so the table is testable without a server.
 */
import { Metadata, status } from '@grpc/grpc-js';
import { encodeRpcStatusProtobuf } from '../otlp/index.ts';
import type { Authentication } from '../auth/authenticate.ts';
import type { IngestRefusal } from '../ingest/ingest-result.ts';
import type { ExportOutcome } from '../otlp-export/export-outcome.ts';

/** What grpc-js's unary callback takes as its error. */
export interface GrpcFailure {
  code: status;
  details: string;
  metadata?: Metadata;
}

export type GrpcAnswer = { status: 'ok'; response: Buffer } | { status: 'failed'; failure: GrpcFailure };

function failed(code: status, details: string): GrpcAnswer {
  return { status: 'failed', failure: { code, details } };
}

function retryable(code: status, refusal: IngestRefusal): GrpcAnswer {
  const metadata = new Metadata();
  const statusDetails = encodeRpcStatusProtobuf({
    code,
    message: refusal.message,
    retryDelaySeconds: refusal.retryAfterSeconds,
  });
  metadata.set('grpc-status-details-bin', Buffer.from(statusDetails));
  return { status: 'failed', failure: { code, details: refusal.message, metadata } };
}

export function grpcAnswer(outcome: ExportOutcome): GrpcAnswer {
  switch (outcome.status) {
    case 'accepted':
      // gRPC always carries protobuf, whose response is bytes; a string would be a JSON response.
      return {
        status: 'ok',
        response: typeof outcome.response === 'string' ? Buffer.from(outcome.response) : Buffer.from(outcome.response),
      };
    case 'invalid':
      return failed(status.INVALID_ARGUMENT, `cannot decode OTLP protobuf message: ${outcome.message}`);
    case 'too_large':
      return failed(status.RESOURCE_EXHAUSTED, outcome.message);
    case 'unsupported':
      // gRPC's answer to a compression or encoding the server does not implement.
      return failed(status.UNIMPLEMENTED, outcome.message);
    case 'timeout':
      return failed(status.DEADLINE_EXCEEDED, outcome.message);
    case 'overloaded':
      return retryable(status.RESOURCE_EXHAUSTED, outcome);
    case 'unavailable':
      return retryable(status.UNAVAILABLE, outcome);
  }
}

const unauthenticatedMessages = {
  missing: 'missing bearer token: send "authorization: Bearer <token>" metadata',
  invalid: 'invalid bearer token: send "authorization: Bearer <token>" metadata with a token the receiver was given',
} as const;

export function unauthenticatedAnswer(
  authentication: Exclude<Authentication, { status: 'authenticated' }>,
): GrpcAnswer {
  return failed(status.UNAUTHENTICATED, unauthenticatedMessages[authentication.status]);
}
