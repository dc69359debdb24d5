/**
 * Admission for OTLP/gRPC, decided on a call's metadata before its message is read: grpc-js buffers a whole
 * message (up to --max-request-bytes) before the handler runs, so a token checked in the handler is checked too
 * late to protect memory. This server interceptor authenticates, asks the export path whether the receiver can
 * take more, and only then lets the message in, charging the shared in-flight budget for its bytes as HTTP/2 data
 * frames arrive; past the budget the call is answered RESOURCE_EXHAUSTED mid-message and the rest is discarded.
 *
 * grpc-js leaves a call's stream paused until the handler asks for the message, and discards the data of a call
 * that has been answered, so a refused call is never buffered. The per-frame charge reads the HTTP/2 stream
 * grpc-js keeps on its base call (not public API, 1.14): without it the budget is charged once the message is
 * whole, as before; test/receiver/grpc-admission.test.ts fails if that happens.
 */
import type { ServerHttp2Stream } from 'node:http2';
import {
  ServerInterceptingCall,
  type Metadata,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { authenticate } from '../auth/authenticate.ts';
import type { TenantTokens } from '../auth/tenant-tokens.ts';
import type { InflightBudget, InflightReservation } from '../ingest/inflight-budget.ts';
import type { ReceiverMetrics } from '../metrics/receiver-metrics.ts';
import type { OtlpSignal } from '../otlp/index.ts';
import { countExport } from '../otlp-export/count-export.ts';
import { inflightRefusal, type OtlpExportPath } from '../otlp-export/export-path.ts';
import { grpcAnswer, unauthenticatedAnswer, type GrpcAnswer } from './grpc-answer.ts';

/** What the handler needs of a call the interceptor let in. */
export interface AdmittedCall {
  tenant: string;
  /** Holds the bytes of the message received so far; the export path releases it. */
  reservation: InflightReservation;
}

export interface AdmissionOptions {
  exportPath: OtlpExportPath;
  inflight: InflightBudget;
  tokens: TenantTokens | undefined;
  /** The signal of an Export method path, undefined for any other method (left alone). */
  signalOf: (path: string) => OtlpSignal | undefined;
  metrics?: ReceiverMetrics;
}

/** The `authorization` metadata as text (a non-`-bin` key is a string, but grpc-js types allow a Buffer). */
function authorizationOf(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  return typeof value === 'string' ? value : value?.toString();
}

/** The HTTP/2 stream under grpc-js's base call, when this grpc-js version keeps it where 1.14 does. */
function streamOf(call: ServerInterceptingCallInterface): ServerHttp2Stream | undefined {
  const stream = (call as unknown as { stream?: unknown }).stream;
  return stream && typeof (stream as ServerHttp2Stream).prependListener === 'function'
    ? (stream as ServerHttp2Stream)
    : undefined;
}

/**
 * The interceptor, and the calls it admitted, keyed by their metadata (the object grpc-js hands the handler as
 * `call.metadata`).
 */
export function createAdmissionInterceptor(options: AdmissionOptions): {
  interceptor: ServerInterceptor;
  admitted: WeakMap<Metadata, AdmittedCall>;
} {
  const admitted = new WeakMap<Metadata, AdmittedCall>();
  const interceptor: ServerInterceptor = (method, call) => {
    const signal = options.signalOf(method.path);
    if (!signal) return new ServerInterceptingCall(call);
    const stream = streamOf(call);
    let reservation: InflightReservation | undefined;
    let answered = false;
    const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const refuse = (answer: GrpcAnswer) => {
              if (answer.status === 'failed') intercepting.sendStatus(answer.failure);
            };
            const authentication = authenticate(options.tokens, authorizationOf(metadata));
            if (authentication.status !== 'authenticated') {
              countExport(options.metrics, 'grpc', signal, 'unauthenticated');
              return refuse(unauthenticatedAnswer(authentication));
            }
            const refusal = options.exportPath.refusalBeforeRead('grpc', signal);
            if (refusal) return refuse(grpcAnswer(refusal));
            const held = options.inflight.open();
            reservation = held;
            // Charged before grpc-js's own listener buffers the frame, so a refused frame is never kept.
            stream?.prependListener('data', (frame: Buffer) => {
              if (answered || held.grow(frame.length)) return;
              countExport(options.metrics, 'grpc', signal, 'overloaded');
              refuse(grpcAnswer(inflightRefusal(options.inflight)));
            });
            admitted.set(metadata, { tenant: authentication.tenant, reservation: held });
            nextMetadata(metadata);
          },
          onCancel() {
            reservation?.release();
          },
        });
      },
      sendStatus(status, next) {
        answered = true;
        reservation?.release();
        next(status);
      },
    });
    return intercepting;
  };
  return { interceptor, admitted };
}
