/**
 * OTLP/HTTP: `POST /v1/traces` and `POST /v1/logs`, per the OTLP specification. Protobuf or JSON (answered in
 * the request's own content type), optional gzip, 200 with `partial_success` for partly invalid data, 400 with a
 * google.rpc.Status for an undecodable body (clients do not retry it), 413/415 for size and type, 429/503 with
 * Retry-After when the receiver or its store cannot take more.
 */
import type { IncomingMessage } from 'node:http';
import {
  OtlpDecodeError,
  decodeLogsJson,
  decodeLogsProtobuf,
  decodeTracesJson,
  decodeTracesProtobuf,
  encodeExportResponse,
  encodeStatus,
  type DecodeLimits,
} from '../otlp/index.ts';
import type { IngestResult } from '../ingest/ingest-result.ts';
import type { InflightBudget } from '../ingest/inflight-budget.ts';
import type { Ingestor } from '../ingest/ingestor.ts';
import { HttpError } from './http-error.ts';
import { readBody } from './read-body.ts';
import type { RequestContext, Router } from './router.ts';
import { sendBytes } from './send.ts';

export type OtlpFormat = 'protobuf' | 'json';
type Signal = 'traces' | 'logs';

const contentTypes: Record<OtlpFormat, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

export function otlpFormatOf(request: IncomingMessage): OtlpFormat | undefined {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

export interface OtlpRouteOptions {
  ingestor: Ingestor;
  maxRequestBytes: number;
  inflight: InflightBudget;
  decodeLimits: DecodeLimits;
}

/** HTTP status for a non-accepted ingest result. */
function refusal(result: Exclude<IngestResult, { status: 'accepted' }>): HttpError {
  return new HttpError(result.status === 'overloaded' ? 429 : 503, result.message, {
    'Retry-After': String(result.retryAfterSeconds),
  });
}

function inflightRefusal(inflight: InflightBudget): HttpError {
  return new HttpError(429, `receiver overloaded: ${inflight.usedBytes} bytes of requests in flight`, { 'Retry-After': '1' });
}

export function addOtlpRoutes(router: Router, options: OtlpRouteOptions): void {
  const { inflight } = options;

  const handle = (signal: Signal) => async (context: RequestContext) => {
    const format = otlpFormatOf(context.request);
    if (!format) {
      context.request.resume();
      throw new HttpError(
        415,
        `unsupported Content-Type ${JSON.stringify(context.request.headers['content-type'] ?? '')}: send application/x-protobuf or application/json`,
      );
    }
    const admission = options.ingestor.admission();
    if (admission.status !== 'accepted') {
      context.request.resume();
      throw refusal(admission);
    }
    const declared = Number(context.request.headers['content-length'] ?? 0) || 0;
    // Reserve the declared size now; a gzip body is charged again at its inflated size once read.
    let reserved = Math.min(declared || options.maxRequestBytes, options.maxRequestBytes);
    if (!inflight.tryReserve(reserved)) {
      context.request.resume();
      throw inflightRefusal(inflight);
    }
    let answer: Uint8Array | string;
    try {
      const body = await readBody(context.request, options.maxRequestBytes);
      if (body.length > reserved) {
        if (!inflight.tryReserve(body.length - reserved)) throw inflightRefusal(inflight);
        reserved = body.length;
      }
      answer = await ingest(signal, format, body, context.tenant);
    } finally {
      inflight.release(reserved);
    }
    sendBytes(context.response, 200, contentTypes[format], answer);
  };

  const ingest = async (signal: Signal, format: OtlpFormat, body: Buffer, tenant: string): Promise<Uint8Array | string> => {
    let result: IngestResult;
    let rejected: number;
    let rejectionMessages: string[];
    try {
      if (signal === 'traces') {
        const decoded = format === 'protobuf' ? decodeTracesProtobuf(body, options.decodeLimits) : decodeTracesJson(body, options.decodeLimits);
        ({ rejected, rejectionMessages } = decoded);
        result = await options.ingestor.ingestTraces(tenant, decoded);
      } else {
        const decoded = format === 'protobuf' ? decodeLogsProtobuf(body, options.decodeLimits) : decodeLogsJson(body, options.decodeLimits);
        ({ rejected, rejectionMessages } = decoded);
        result = await options.ingestor.ingestLogs(tenant, decoded);
      }
    } catch (error) {
      if (error instanceof OtlpDecodeError) throw new HttpError(400, `cannot decode OTLP ${format} body: ${error.message}`);
      throw error;
    }
    if (result.status !== 'accepted') throw refusal(result);
    return encodeExportResponse(signal, format, { rejected, errorMessage: rejectionMessages.join('; ') });
  };

  router.add('POST', '/v1/traces', handle('traces'));
  router.add('POST', '/v1/logs', handle('logs'));
}

/** The body of an OTLP/HTTP error response: a google.rpc.Status in the request's format. */
export function otlpErrorBody(request: IncomingMessage, error: HttpError): { contentType: string; body: Uint8Array | string } {
  const format = otlpFormatOf(request) ?? 'json';
  return { contentType: contentTypes[format], body: encodeStatus(format, { code: grpcCodeForHttp(error.status), message: error.message }) };
}

/** The gRPC status code the OTLP spec pairs with each HTTP status, for the Status body. */
function grpcCodeForHttp(status: number): number {
  switch (status) {
    case 400: return 3; // INVALID_ARGUMENT
    case 401: return 16; // UNAUTHENTICATED
    case 403: return 7; // PERMISSION_DENIED
    case 404: return 5; // NOT_FOUND
    case 413: return 8; // RESOURCE_EXHAUSTED
    case 429: return 8; // RESOURCE_EXHAUSTED
    case 503: return 14; // UNAVAILABLE
    default: return status >= 500 ? 13 : 3; // INTERNAL / INVALID_ARGUMENT
  }
}
