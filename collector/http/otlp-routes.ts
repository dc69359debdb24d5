/**
 * OTLP/HTTP: `POST /v1/traces` and `POST /v1/logs`, per the OTLP specification: protobuf or JSON (answered in the
 * request's own encoding), optional gzip. The route reads the request's framing (Content-Type, the body, charged
 * to the in-flight budget chunk by chunk and given up on when it stalls) and runs the shared export path;
 * otlp-http-answer.ts says how each outcome is answered, and the route's `renderError` answers the errors raised
 * on its behalf (401, 405, 500) as a google.rpc.Status too.
 */
import type { IncomingMessage } from 'node:http';
import type { ReceiverMetrics } from '../metrics/receiver-metrics.ts';
import type { OtlpSignal } from '../otlp/index.ts';
import { countExport } from '../otlp-export/count-export.ts';
import type { ExportOutcome } from '../otlp-export/export-outcome.ts';
import type { OtlpExportPath } from '../otlp-export/export-path.ts';
import type { ErrorRenderer } from './http-error.ts';
import { otlpEncodingOf } from './otlp-content-type.ts';
import { otlpHttpAnswer, renderOtlpError } from './otlp-http-answer.ts';
import { readBody, type BodyRead } from './read-body.ts';
import type { Handler, Router } from './router.ts';
import { sendBytes } from './send.ts';

export interface OtlpRouteOptions {
  exportPath: OtlpExportPath;
  /** Largest body, checked after decompression. */
  maxRequestBytes: number;
  /** Longest pause between two chunks of a body before the request is answered 408 and its connection closed. */
  bodyIdleMillis: number;
  metrics?: ReceiverMetrics;
}

const signalOfPath: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/logs': 'logs' };

export function addOtlpRoutes(router: Router, options: OtlpRouteOptions): void {
  const handle =
    (signal: OtlpSignal): Handler =>
    async ({ request, response, tenant }) => {
      const encoding = otlpEncodingOf(request);
      let abandonedBody = false;
      const read = async (charge: (bytes: number) => boolean): Promise<BodyRead> => {
        const body = await readBody(request, {
          maxBytes: options.maxRequestBytes,
          charge,
          idleMillis: options.bodyIdleMillis,
        });
        abandonedBody = body.status === 'over_budget' || body.status === 'timeout';
        return body;
      };
      const outcome: ExportOutcome = encoding
        ? await options.exportPath.export({ transport: 'http', signal, encoding, tenant, readBody: read })
        : {
            status: 'unsupported',
            message: `unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/x-protobuf or application/json`,
          };
      if (!encoding) countExport(options.metrics, 'http', signal, 'unsupported');
      const answer = otlpHttpAnswer(outcome, encoding ?? 'json');
      // A body given up on mid-read may still be arriving, slowly or in bulk: close the connection rather than
      // read the rest. Any other refused request may not have been read: drain it so the connection can carry
      // the next request.
      if (abandonedBody) answer.headers = { ...answer.headers, Connection: 'close' };
      else if (outcome.status !== 'accepted') request.resume();
      sendBytes(response, answer.status, answer.contentType, answer.body, answer.headers);
    };

  // Requests the server refuses before the route runs (a missing or unknown token) are counted here, where the
  // route's errors are rendered.
  const renderError: ErrorRenderer = (error, request: IncomingMessage) => {
    const signal = signalOfPath[new URL(request.url ?? '/', 'http://receiver').pathname];
    if (error.status === 401 && signal) countExport(options.metrics, 'http', signal, 'unauthenticated');
    return renderOtlpError(error, request);
  };
  router.add('POST', '/v1/traces', handle('traces'), { renderError, audience: 'exporter' });
  router.add('POST', '/v1/logs', handle('logs'), { renderError, audience: 'exporter' });
}
