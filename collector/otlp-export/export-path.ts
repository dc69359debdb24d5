/**
 * The one OTLP Export path, shared by OTLP/HTTP and OTLP/gRPC: admission control, the in-flight memory budget,
 * decode, ingest, encode. A transport supplies the signal, encoding, tenant and a way to read the body, and maps
 * the returned ExportOutcome onto its own status codes; nothing here knows about HTTP or gRPC.
 *
 * The order is the contract: the ingestor's admission is checked and memory reserved before the body is read, so
 * a receiver that cannot take more refuses without buffering; the reservation is charged again at the body's real
 * size (a gzip body inflates) and released only once the rows are in the write-ahead log or refused.
 */
import type { DecodedLogs, DecodedTraces } from '../../src/model/otlp.ts';
import type { InflightBudget } from '../ingest/inflight-budget.ts';
import type { Ingestor } from '../ingest/ingestor.ts';
import {
  OtlpDecodeError,
  decodeLogsJson,
  decodeLogsProtobuf,
  decodeTracesJson,
  decodeTracesProtobuf,
  encodeExportResponse,
  type DecodeLimits,
  type OtlpEncoding,
  type OtlpSignal,
} from '../otlp/index.ts';
import type { ExportBody, ExportOutcome } from './export-outcome.ts';

export interface OtlpExportRequest {
  signal: OtlpSignal;
  encoding: OtlpEncoding;
  tenant: string;
  /** Bytes to reserve before the body is read: its declared size, or its size when the transport already has it. */
  expectedBytes: number;
  /** Reads the body; called only once the request is admitted and its memory reserved. */
  readBody: () => Promise<ExportBody>;
}

export interface OtlpExportPath {
  export(request: OtlpExportRequest): Promise<ExportOutcome>;
}

export interface OtlpExportPathOptions {
  ingestor: Ingestor;
  /** Shared by both transports: request bodies are the receiver's only memory that grows with load. */
  inflight: InflightBudget;
  decodeLimits: DecodeLimits;
}

type Decoded = { signal: 'traces'; items: DecodedTraces } | { signal: 'logs'; items: DecodedLogs };

/** Throws OtlpDecodeError for bytes that are not an Export*ServiceRequest. */
function decode(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer, limits: DecodeLimits): Decoded {
  if (signal === 'traces') {
    return {
      signal,
      items: encoding === 'protobuf' ? decodeTracesProtobuf(body, limits) : decodeTracesJson(body, limits),
    };
  }
  return { signal, items: encoding === 'protobuf' ? decodeLogsProtobuf(body, limits) : decodeLogsJson(body, limits) };
}

export function createOtlpExportPath({ ingestor, inflight, decodeLimits }: OtlpExportPathOptions): OtlpExportPath {
  const inflightRefusal = (): ExportOutcome => ({
    status: 'overloaded',
    retryAfterSeconds: 1,
    message: `receiver overloaded: ${inflight.usedBytes} bytes of requests in flight`,
  });

  const ingest = async (request: OtlpExportRequest, body: Buffer): Promise<ExportOutcome> => {
    let decoded: Decoded;
    try {
      decoded = decode(request.signal, request.encoding, body, decodeLimits);
    } catch (error) {
      if (error instanceof OtlpDecodeError) return { status: 'invalid', message: error.message };
      throw error;
    }
    const result =
      decoded.signal === 'traces'
        ? await ingestor.ingestTraces(request.tenant, decoded.items)
        : await ingestor.ingestLogs(request.tenant, decoded.items);
    if (result.status !== 'accepted') return result;
    const partialSuccess = {
      rejected: decoded.items.rejected,
      errorMessage: decoded.items.rejectionMessages.join('; '),
    };
    return {
      status: 'accepted',
      partialSuccess,
      response: encodeExportResponse(request.signal, request.encoding, partialSuccess),
    };
  };

  return {
    async export(request) {
      const admission = ingestor.admission();
      if (admission.status !== 'accepted') return admission;
      let reserved = request.expectedBytes;
      if (!inflight.tryReserve(reserved)) return inflightRefusal();
      try {
        const read = await request.readBody();
        if (read.status !== 'read') return read;
        if (read.body.length > reserved) {
          if (!inflight.tryReserve(read.body.length - reserved)) return inflightRefusal();
          reserved = read.body.length;
        }
        return await ingest(request, read.body);
      } finally {
        inflight.release(reserved);
      }
    },
  };
}
