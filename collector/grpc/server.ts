/**
 * OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` and the logs service, on @grpc/grpc-js
 * with pass-through (de)serialisers so the hand-written decoder reads the raw message bytes. grpc-js inflates
 * gzip-compressed messages and enforces the size limit (RESOURCE_EXHAUSTED); the handler authenticates, runs the
 * shared export path, and grpc-answer.ts says which status code each outcome gets.
 */
import {
  Server,
  ServerCredentials,
  status,
  type Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { authenticate } from '../auth/authenticate.ts';
import type { TenantTokens } from '../auth/tenant-tokens.ts';
import type { OtlpSignal } from '../otlp/index.ts';
import type { OtlpExportPath } from '../otlp-export/export-path.ts';
import { grpcAnswer, unauthenticatedAnswer, type GrpcAnswer } from './grpc-answer.ts';

const identity = (value: Buffer): Buffer => value;

/** The OTLP Export service of one signal, with pass-through (de)serialisers (raw protobuf bytes in and out). */
export function exportService(signal: OtlpSignal): ServiceDefinition {
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
  exportPath: OtlpExportPath;
  tokens: TenantTokens | undefined;
  maxRequestBytes: number;
  onError?: (error: unknown) => void;
}

/** The `authorization` metadata as text (a non-`-bin` key is a string, but grpc-js types allow a Buffer). */
function authorizationOf(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  return typeof value === 'string' ? value : value?.toString();
}

async function answerExport(
  options: GrpcServerOptions,
  signal: OtlpSignal,
  call: ServerUnaryCall<Buffer, Buffer>,
): Promise<GrpcAnswer> {
  const authentication = authenticate(options.tokens, authorizationOf(call.metadata));
  if (authentication.status !== 'authenticated') return unauthenticatedAnswer(authentication);
  const body = call.request;
  const outcome = await options.exportPath.export({
    transport: 'grpc',
    signal,
    encoding: 'protobuf',
    tenant: authentication.tenant,
    // grpc-js has read the whole message already: charge exactly its size.
    readBody: (charge) => Promise.resolve(charge(body.length) ? { status: 'read', body } : { status: 'over_budget' }),
  });
  return grpcAnswer(outcome);
}

export function createGrpcServer(options: GrpcServerOptions): Server {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxRequestBytes,
    // grpc-js buffers each message whole before the handler runs: bound how many arrive at once per connection.
    'grpc.max_concurrent_streams': 64,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  const handler = (signal: OtlpSignal) => (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    void answerExport(options, signal, call).then(
      (answer) => (answer.status === 'ok' ? callback(null, answer.response) : callback(answer.failure)),
      (error: unknown) => {
        options.onError?.(error);
        callback({ code: status.INTERNAL, details: `internal error: ${(error as Error).message}` });
      },
    );
  };
  server.addService(exportService('traces'), { Export: handler('traces') });
  server.addService(exportService('logs'), { Export: handler('logs') });
  return server;
}

export function bindGrpcServer(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(
      `${host.includes(':') ? `[${host}]` : host}:${port}`,
      ServerCredentials.createInsecure(),
      (error, boundPort) => {
        if (error) {
          const hint = /in use/i.test(error.message)
            ? ' (choose another port with --grpc-port, or -1 to disable gRPC)'
            : '';
          reject(
            new Error(`cannot listen for OTLP/gRPC on ${host}:${port}: ${error.message}${hint}`, { cause: error }),
          );
        } else resolve(boundPort);
      },
    );
  });
}
