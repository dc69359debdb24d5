/**
 * OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` and the logs service, on @grpc/grpc-js
 * with pass-through (de)serialisers so the hand-written decoder reads the raw message bytes. Admission (the
 * token, the store's backlog, the in-flight budget) is decided on the metadata, before the message is read
 * (admission-interceptor.ts); grpc-js inflates gzip-compressed messages and enforces the size limit
 * (RESOURCE_EXHAUSTED); the handler runs the shared export path, and grpc-answer.ts says which status code each
 * outcome gets. The port is a net.Server of our own, injected into grpc-js, so its connections can be capped.
 */
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { TenantTokens } from '../auth/tenant-tokens.ts';
import type { InflightBudget } from '../ingest/inflight-budget.ts';
import type { ReceiverMetrics } from '../metrics/receiver-metrics.ts';
import type { OtlpSignal } from '../otlp/index.ts';
import type { OtlpExportPath } from '../otlp-export/export-path.ts';
import { createAdmissionInterceptor, type AdmittedCall } from './admission-interceptor.ts';
import { grpcAnswer, type GrpcAnswer } from './grpc-answer.ts';

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

const exportPaths: Record<string, OtlpSignal> = {
  '/opentelemetry.proto.collector.trace.v1.TraceService/Export': 'traces',
  '/opentelemetry.proto.collector.logs.v1.LogsService/Export': 'logs',
};

export interface GrpcServerOptions {
  exportPath: OtlpExportPath;
  /** The budget the export path charges; the admission interceptor charges it as message bytes arrive. */
  inflight: InflightBudget;
  tokens: TenantTokens | undefined;
  maxRequestBytes: number;
  /** Longest pause between two data frames of a message (TRAJECTORIES_BODY_IDLE_TIMEOUT_MS, as for HTTP bodies). */
  bodyIdleMillis?: number;
  /** Longest time to receive a whole message once admitted (TRAJECTORIES_REQUEST_TIMEOUT_MS). */
  requestTimeoutMillis?: number;
  /** How long a connection with no call open stays up (default 5 minutes). */
  connectionIdleMillis?: number;
  /** Open connections above which new ones are closed on accept. */
  maxConnections?: number;
  onError?: (error: unknown) => void;
  metrics?: ReceiverMetrics;
}

async function answerExport(
  options: GrpcServerOptions,
  signal: OtlpSignal,
  call: ServerUnaryCall<Buffer, Buffer>,
  admitted: AdmittedCall,
): Promise<GrpcAnswer> {
  const body = call.request;
  const outcome = await options.exportPath.export({
    transport: 'grpc',
    signal,
    encoding: 'protobuf',
    tenant: admitted.tenant,
    reservation: admitted.reservation,
    // grpc-js has read the whole message already, charged frame by frame to the reservation.
    readBody: () => Promise.resolve({ status: 'read', body }),
  });
  return grpcAnswer(outcome);
}

/** A grpc-js Server whose port is a net.Server of its own, so shutting it down closes that listener too. */
export class OtlpGrpcServer extends Server {
  listener: NetServer | undefined;
  readonly maxConnections: number;

  constructor(options: ConstructorParameters<typeof Server>[0], maxConnections: number) {
    super(options);
    this.maxConnections = maxConnections;
  }

  override tryShutdown(callback: (error?: Error) => void): void {
    this.listener?.close();
    super.tryShutdown(callback);
  }

  override forceShutdown(): void {
    this.listener?.close();
    super.forceShutdown();
  }
}

export function createGrpcServer(options: GrpcServerOptions): OtlpGrpcServer {
  const { interceptor, admitted } = createAdmissionInterceptor({
    exportPath: options.exportPath,
    inflight: options.inflight,
    tokens: options.tokens,
    signalOf: (path) => exportPaths[path],
    idleMillis: options.bodyIdleMillis ?? 15_000,
    requestMillis: options.requestTimeoutMillis ?? 120_000,
    metrics: options.metrics,
  });
  const server = new OtlpGrpcServer(
    {
      'grpc.max_receive_message_length': options.maxRequestBytes,
      // Each stream buffers up to one message, charged to the in-flight budget as it arrives; this bounds how
      // many a single connection may have open at once.
      'grpc.max_concurrent_streams': 64,
      'grpc.max_send_message_length': 4 * 1024 * 1024,
      // A connection with no call open for this long is closed (GOAWAY; exporters reconnect on their next export),
      // so silent connections cannot hold the connection cap forever. grpc.max_connection_age_grace_ms only acts
      // with a maximum connection age, which is not set: long-lived exporter connections are the normal case.
      'grpc.max_connection_idle_ms': options.connectionIdleMillis ?? 5 * 60_000,
      interceptors: [interceptor],
    },
    options.maxConnections ?? 1024,
  );
  const handler = (signal: OtlpSignal) => (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    const admittedCall = admitted.get(call.metadata);
    if (!admittedCall) {
      // The interceptor admits every Export call before its handler runs; a call it did not see is a bug here.
      options.onError?.(new Error(`gRPC ${signal} Export call reached its handler without admission`));
      callback({ code: status.INTERNAL, details: internalErrorMessage });
      return;
    }
    void answerExport(options, signal, call, admittedCall).then(
      (answer) => (answer.status === 'ok' ? callback(null, answer.response) : callback(answer.failure)),
      (error: unknown) => {
        // The detail (a ClickHouse message, a stack) goes to the log; the client gets a stable message.
        options.onError?.(error);
        admittedCall.reservation.release();
        callback({ code: status.INTERNAL, details: internalErrorMessage });
      },
    );
  };
  server.addService(exportService('traces'), { Export: handler('traces') });
  server.addService(exportService('logs'), { Export: handler('logs') });
  return server;
}

const internalErrorMessage = 'internal error; the receiver log has the details';

/**
 * Listens on `host:port` with a net.Server capped at the server's `maxConnections` (grpc-js has no connection
 * limit of its own) and hands each connection to grpc-js. Resolves with the bound port.
 */
export function bindGrpcServer(server: OtlpGrpcServer, host: string, port: number): Promise<number> {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const listener = createNetServer((socket) => injector.injectConnection(socket));
  listener.maxConnections = server.maxConnections;
  server.listener = listener;
  return new Promise((resolve, reject) => {
    listener.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EADDRINUSE' ? ' (choose another port with --grpc-port, or -1 to disable gRPC)' : '';
      reject(new Error(`cannot listen for OTLP/gRPC on ${host}:${port}: ${error.message}${hint}`, { cause: error }));
    });
    listener.listen(port, host, () => {
      const address = listener.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
