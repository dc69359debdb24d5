/**
 * The one OTLP Export path, shared by OTLP/HTTP and OTLP/gRPC: admission control, the in-flight memory budget,
 * decode, ingest, encode. A transport supplies the signal, encoding, tenant and a way to read the body, and maps
 * the returned ExportOutcome onto its own status codes; nothing here knows about HTTP or gRPC.
 *
 * The order is the contract: the ingestor's admission and the in-flight budget are checked before the body is
 * read, so a receiver that cannot take more refuses without buffering; the body is charged to the budget as its
 * bytes arrive (never at a declared size, so slow clients cannot reserve memory they have not sent), charged again
 * at its decoded size (a gzip body inflates), and released only once the rows are in the write-ahead log or
 * refused. Every answer is counted in the receiver's metrics.
 */
import type { DecodedLogs, DecodedTraces } from '../../src/model/otlp.ts';
import type { InflightBudget, InflightReservation } from '../ingest/inflight-budget.ts';
import type { Ingestor } from '../ingest/ingestor.ts';
import type { IngestRefusal } from '../ingest/ingest-result.ts';
import type { ReceiverMetrics, Transport } from '../metrics/receiver-metrics.ts';
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
import { countExport } from './count-export.ts';
import type { ExportBody, ExportOutcome } from './export-outcome.ts';

export interface OtlpExportRequest {
  transport: Transport;
  signal: OtlpSignal;
  encoding: OtlpEncoding;
  tenant: string;
  /**
   * The request's share of the in-flight budget, when the transport charged bytes before calling (gRPC charges
   * the message while it arrives); the export path opens one otherwise. Either way the export path releases it.
   */
  reservation?: InflightReservation;
  /**
   * Reads the body, calling `charge` with each chunk before keeping it (false: stop, answer `over_budget`);
   * called only once the request is admitted.
   */
  readBody: (charge: (bytes: number) => boolean) => Promise<ExportBody>;
}

export interface OtlpExportPath {
  export(request: OtlpExportRequest): Promise<ExportOutcome>;
  /**
   * The refusal (counted) a request gets before any of its body is read: the store cannot take more, or the
   * in-flight budget is full. For a transport that must decide before it lets the body in (gRPC reads a message
   * before its handler runs); `export` checks the same again.
   */
  refusalBeforeRead(transport: Transport, signal: OtlpSignal): IngestRefusal | undefined;
}

export interface OtlpExportPathOptions {
  ingestor: Ingestor;
  /** Shared by both transports: request bodies are the receiver's only memory that grows with load. */
  inflight: InflightBudget;
  decodeLimits: DecodeLimits;
  metrics?: ReceiverMetrics;
}

type Decoded = { signal: 'traces'; items: DecodedTraces } | { signal: 'logs'; items: DecodedLogs };

/** The answer to a request the in-flight budget cannot take, before or while its body is read. */
export function inflightRefusal(inflight: InflightBudget): IngestRefusal {
  return {
    status: 'overloaded',
    retryAfterSeconds: 1,
    message: `receiver overloaded: ${inflight.usedBytes} bytes of requests in flight`,
  };
}

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

export function createOtlpExportPath({
  ingestor,
  inflight,
  decodeLimits,
  metrics,
}: OtlpExportPathOptions): OtlpExportPath {
  const refuseInflight = () => inflightRefusal(inflight);

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
        ? await ingestor.ingestTraceRequest(
            { tenant: request.tenant, encoding: request.encoding, limits: decodeLimits, body },
            decoded.items,
          )
        : await ingestor.ingestLogs(request.tenant, decoded.items);
    if (result.status !== 'accepted') return result;
    const items = decoded.signal === 'traces' ? decoded.items.spans.length : decoded.items.logs.length;
    metrics?.acceptedItems.inc({ signal: request.signal }, items);
    if (decoded.items.rejected > 0)
      metrics?.rejections.inc({ transport: request.transport, reason: 'partial_item' }, decoded.items.rejected);
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

  const refusalBeforeRead = (heldBytes: number): IngestRefusal | undefined => {
    const admission = ingestor.admission();
    if (admission.status !== 'accepted') return admission;
    if (inflight.exhausted && heldBytes === 0) return refuseInflight();
    return undefined;
  };

  const answer = async (request: OtlpExportRequest, reservation: InflightReservation): Promise<ExportOutcome> => {
    const refusal = refusalBeforeRead(reservation.heldBytes);
    if (refusal) return refusal;
    const read = await request.readBody((bytes) => reservation.grow(bytes));
    if (read.status === 'over_budget') return refuseInflight();
    if (read.status !== 'read') return read;
    metrics?.receivedBytes.inc({ transport: request.transport, signal: request.signal }, read.body.length);
    if (!reservation.growTo(read.body.length)) return refuseInflight();
    return await ingest(request, read.body);
  };

  return {
    async export(request) {
      const reservation = request.reservation ?? inflight.open();
      try {
        const outcome = await answer(request, reservation);
        countExport(metrics, request.transport, request.signal, outcome.status);
        return outcome;
      } finally {
        reservation.release();
      }
    },
    refusalBeforeRead(transport, signal) {
      const refusal = refusalBeforeRead(0);
      if (refusal) countExport(metrics, transport, signal, refusal.status);
      return refusal;
    },
  };
}
