/**
 * OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` and the logs service, on
 * @grpc/grpc-js with pass-through (de)serialisers so the hand-written decoder reads the raw message bytes.
 * grpc-js inflates gzip-compressed messages and enforces the size limit; the status codes follow the OTLP spec:
 * INVALID_ARGUMENT for undecodable data, RESOURCE_EXHAUSTED and UNAVAILABLE (retryable) with a RetryInfo detail.
 */
import { Metadata, Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import {
  OtlpDecodeError,
  decodeLogsProtobuf,
  decodeTracesProtobuf,
  encodeExportResponse,
  encodeStatus,
  type DecodeLimits,
} from '../otlp/index.ts';
import type { TenantTokens } from '../auth/tenant-tokens.ts';
import type { IngestResult } from '../ingest/ingest-result.ts';
import type { InflightBudget } from '../ingest/inflight-budget.ts';
import type { Ingestor } from '../ingest/ingestor.ts';
import { defaultTenant } from '../http/server.ts';

type Signal = 'traces' | 'logs';

const identity = (value: Buffer): Buffer => value;

/** The OTLP Export service of one signal, with pass-through (de)serialisers (raw protobuf bytes in and out). */
export function exportService(signal: Signal): ServiceDefinition {
  const service = signal === 'traces' ? 'trace.v1.TraceService' : 'logs.v1.LogsService';
  return {
    Export: {
      path: `/opentelemetry.proto.collector.${service}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

export interface GrpcServerOptions {
  ingestor: Ingestor;
  inflight: InflightBudget;
  tokens: TenantTokens | undefined;
  maxRequestBytes: number;
  decodeLimits: DecodeLimits;
  onError?: (error: unknown) => void;
}

interface GrpcFailure {
  code: status;
  details: string;
  metadata?: Metadata;
}

function retryableFailure(result: Exclude<IngestResult, { status: 'accepted' }>): GrpcFailure {
  const code = result.status === 'overloaded' ? status.RESOURCE_EXHAUSTED : status.UNAVAILABLE;
  const metadata = new Metadata();
  metadata.set(
    'grpc-status-details-bin',
    Buffer.from(encodeStatus('protobuf', { code, message: result.message, retryDelaySeconds: result.retryAfterSeconds }) as Uint8Array),
  );
  return { code, details: result.message, metadata };
}

export function createGrpcServer(options: GrpcServerOptions): Server {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxRequestBytes,
    // grpc-js buffers each message whole before the handler runs: bound how many arrive at once per connection.
    'grpc.max_concurrent_streams': 64,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  const handler = (signal: Signal) => (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    void exportRequest(options, signal, call).then(
      (response) => callback(null, response),
      (failure: GrpcFailure | Error) => {
        if (failure instanceof Error) {
          options.onError?.(failure);
          callback({ code: status.INTERNAL, details: `internal error: ${failure.message}` });
        } else {
          callback(failure);
        }
      },
    );
  };
  server.addService(exportService('traces'), { Export: handler('traces') });
  server.addService(exportService('logs'), { Export: handler('logs') });
  return server;
}

async function exportRequest(options: GrpcServerOptions, signal: Signal, call: ServerUnaryCall<Buffer, Buffer>): Promise<Buffer> {
  let tenant = defaultTenant;
  if (options.tokens) {
    const header = call.metadata.get('authorization')[0];
    const authenticated = options.tokens.tenantFor(typeof header === 'string' ? header : header?.toString());
    if (!authenticated) throw { code: status.UNAUTHENTICATED, details: 'missing or invalid bearer token: send "authorization: Bearer <token>" metadata' } satisfies GrpcFailure;
    tenant = authenticated;
  }
  const admission = options.ingestor.admission();
  if (admission.status !== 'accepted') throw retryableFailure(admission);
  const size = call.request.length;
  if (!options.inflight.tryReserve(size)) {
    throw retryableFailure({ status: 'overloaded', retryAfterSeconds: 1, message: `receiver overloaded: ${options.inflight.usedBytes} bytes of requests in flight` });
  }
  try {
    return await decodeAndIngest(options, signal, call, tenant);
  } finally {
    options.inflight.release(size);
  }
}

async function decodeAndIngest(options: GrpcServerOptions, signal: Signal, call: ServerUnaryCall<Buffer, Buffer>, tenant: string): Promise<Buffer> {
  let result: IngestResult;
  let rejected: number;
  let rejectionMessages: string[];
  try {
    if (signal === 'traces') {
      const decoded = decodeTracesProtobuf(call.request, options.decodeLimits);
      ({ rejected, rejectionMessages } = decoded);
      result = await options.ingestor.ingestTraces(tenant, decoded);
    } else {
      const decoded = decodeLogsProtobuf(call.request, options.decodeLimits);
      ({ rejected, rejectionMessages } = decoded);
      result = await options.ingestor.ingestLogs(tenant, decoded);
    }
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw { code: status.INVALID_ARGUMENT, details: `cannot decode OTLP protobuf message: ${error.message}` } satisfies GrpcFailure;
    throw error;
  }
  if (result.status !== 'accepted') throw retryableFailure(result);
  return Buffer.from(encodeExportResponse(signal, 'protobuf', { rejected, errorMessage: rejectionMessages.join('; ') }) as Uint8Array);
}

export function bindGrpcServer(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error) {
        const hint = /in use/i.test(error.message) ? ' (choose another port with --grpc-port, or -1 to disable gRPC)' : '';
        reject(new Error(`cannot listen for OTLP/gRPC on ${host}:${port}: ${error.message}${hint}`, { cause: error }));
      }
      else resolve(boundPort);
    });
  });
}
