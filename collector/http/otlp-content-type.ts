/**
 * OTLP/HTTP content types: which encoding a request is in, and the Content-Type its answer carries. The OTLP
 * specification answers in the request's own encoding, errors included.
 */
import type { IncomingMessage } from 'node:http';
import type { OtlpEncoding } from '../otlp/index.ts';

export const otlpContentTypes: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** The request's encoding, undefined for a Content-Type OTLP does not define (answered with 415). */
export function otlpEncodingOf(request: IncomingMessage): OtlpEncoding | undefined {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}
