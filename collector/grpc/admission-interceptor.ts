/**
 * Admission for OTLP/gRPC, decided on a call's metadata before its message is read: grpc-js buffers a whole
 * message (up to --max-request-bytes) before the handler runs, so a token checked in the handler is checked too
 * late to protect memory. This server interceptor authenticates, asks the export path whether the receiver can
 * take more, and only then lets the message in, charging the shared in-flight budget for its bytes as HTTP/2 data
 * frames arrive; past the budget the call is answered RESOURCE_EXHAUSTED mid-message and the rest is discarded.
 *
 * A call that stops sending is given up on like an HTTP body that stalls: no data frame for `idleMillis`, or the
 * message not whole within `requestMillis`, is answered DEADLINE_EXCEEDED and its bytes released, so slow or
 * stalled streams cannot keep the budget from everyone else until they hang up.
 *
 * grpc-js leaves a call's stream paused until the handler asks for the message, and discards the data of a call
 * that has been answered, so a refused call is never buffered. A message over the size limit is answered by
 * grpc-js itself, past the interceptor; the status it sent is read back from the stream to count it. The per-frame charge reads the HTTP/2 stream
 * grpc-js keeps on its base call (not public API, 1.14): without it the budget is charged once the message is
 * whole, as before; test/receiver/grpc-admission.test.ts fails if that happens.
 */
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import {
  ServerInterceptingCall,
  status,
  type Metadata,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { authenticate } from '../auth/authenticate.ts';
import type { TenantTokens } from '../auth/tenant-tokens.ts';
import type { InflightBudget, InflightReservation } from '../ingest/inflight-budget.ts';
import type { ReceiverMetrics, RejectionReason } from '../metrics/receiver-metrics.ts';
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
  /** Longest pause between two data frames of an admitted call's message (TRAJECTORIES_BODY_IDLE_TIMEOUT_MS). */
  idleMillis: number;
  /** Longest time from admission to the whole message (TRAJECTORIES_REQUEST_TIMEOUT_MS). */
  requestMillis: number;
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
 * Why grpc-js answered a call on its own (the status is on the stream's headers, or trailers once the call had
 * responded), or undefined when it did not answer: the client went away.
 */
function ownRefusalOf(stream: ServerHttp2Stream | undefined): RejectionReason | undefined {
  const sent: OutgoingHttpHeaders | undefined = stream?.sentTrailers ?? stream?.sentHeaders;
  const code = Number(sent?.['grpc-status']);
  if (!Number.isInteger(code) || code === Number(status.OK)) return undefined;
  // grpc-js answers RESOURCE_EXHAUSTED only for a message over grpc.max_receive_message_length, as sent or inflated.
  const reasons: Partial<Record<number, RejectionReason>> = {
    [status.RESOURCE_EXHAUSTED]: 'too_large',
    [status.DEADLINE_EXCEEDED]: 'timeout',
    [status.UNIMPLEMENTED]: 'unsupported',
  };
  return reasons[code] ?? 'invalid';
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
    // Set once the call is answered, by us, by grpc-js or by the client going away: later frames are not ours.
    let answered = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let requestTimer: NodeJS.Timeout | undefined;
    const stopTimers = () => {
      clearTimeout(idleTimer);
      clearTimeout(requestTimer);
    };
    const refuse = (answer: GrpcAnswer) => {
      if (answer.status === 'failed') intercepting.sendStatus(answer.failure);
    };
    const giveUp = (message: string) => {
      if (answered) return;
      countExport(options.metrics, 'grpc', signal, 'timeout');
      refuse(grpcAnswer({ status: 'timeout', message }));
    };
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(
        () =>
          giveUp(
            `request message stalled: no bytes for ${options.idleMillis} ms (TRAJECTORIES_BODY_IDLE_TIMEOUT_MS); ` +
              'send the message without pauses',
          ),
        options.idleMillis,
      );
    };
    const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
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
              // A stream grpc-js has answered itself (a message over the size limit) is being flushed, not read.
              if (answered || stream.headersSent) return;
              if (held.grow(frame.length)) return armIdleTimer();
              countExport(options.metrics, 'grpc', signal, 'overloaded');
              refuse(grpcAnswer(inflightRefusal(options.inflight)));
            });
            armIdleTimer();
            requestTimer = setTimeout(
              () =>
                giveUp(
                  `request message not received within ${options.requestMillis} ms ` +
                    '(TRAJECTORIES_REQUEST_TIMEOUT_MS); send smaller batches or from a faster link',
                ),
              options.requestMillis,
            );
            admitted.set(metadata, { tenant: authentication.tenant, reservation: held });
            nextMetadata(metadata);
          },
          onReceiveHalfClose(nextHalfClose) {
            // The message is whole: from here the export path's own bounds apply, not the client's pace.
            stopTimers();
            nextHalfClose();
          },
          onCancel() {
            stopTimers();
            if (!answered) {
              answered = true;
              const reason = ownRefusalOf(stream);
              if (reason) countExport(options.metrics, 'grpc', signal, reason);
            }
            reservation?.release();
          },
        });
      },
      sendStatus(callStatus, next) {
        answered = true;
        stopTimers();
        reservation?.release();
        next(callStatus);
      },
    });
    return intercepting;
  };
  return { interceptor, admitted };
}
