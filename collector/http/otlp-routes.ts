/**
 * OTLP/HTTP: `POST /v1/traces` and `POST /v1/logs`, per the OTLP specification: protobuf or JSON (answered in the
 * request's own encoding), optional gzip. The route reads the request's framing (Content-Type, Content-Length,
 * the body) and runs the shared export path; otlp-http-answer.ts says how each outcome is answered, and the
 * route's `renderError` answers the errors raised on its behalf (401, 405, 500) as a google.rpc.Status too.
 */
import type { IncomingMessage } from 'node:http';
import type { OtlpSignal } from '../otlp/index.ts';
import type { ExportOutcome } from '../otlp-export/export-outcome.ts';
import type { OtlpExportPath } from '../otlp-export/export-path.ts';
import { otlpEncodingOf } from './otlp-content-type.ts';
import { otlpHttpAnswer, renderOtlpError } from './otlp-http-answer.ts';
import { readBody } from './read-body.ts';
import type { Handler, Router } from './router.ts';
import { sendBytes } from './send.ts';

export interface OtlpRouteOptions {
  exportPath: OtlpExportPath;
  /** Largest body, checked after decompression. */
  maxRequestBytes: number;
}

/** The memory to reserve before reading: the declared length, the whole limit when the length is not declared. */
function expectedBytes(request: IncomingMessage, maxRequestBytes: number): number {
  const declared = Number(request.headers['content-length'] ?? 0) || 0;
  return Math.min(declared || maxRequestBytes, maxRequestBytes);
}

export function addOtlpRoutes(router: Router, options: OtlpRouteOptions): void {
  const handle =
    (signal: OtlpSignal): Handler =>
    async ({ request, response, tenant }) => {
      const encoding = otlpEncodingOf(request);
      const outcome: ExportOutcome = encoding
        ? await options.exportPath.export({
            signal,
            encoding,
            tenant,
            expectedBytes: expectedBytes(request, options.maxRequestBytes),
            readBody: () => readBody(request, options.maxRequestBytes),
          })
        : {
            status: 'unsupported',
            message: `unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/x-protobuf or application/json`,
          };
      // A refused request may not have been read: drain it so the connection can carry the next request.
      if (outcome.status !== 'accepted') request.resume();
      const answer = otlpHttpAnswer(outcome, encoding ?? 'json');
      sendBytes(response, answer.status, answer.contentType, answer.body, answer.headers);
    };

  router.add('POST', '/v1/traces', handle('traces'), { renderError: renderOtlpError });
  router.add('POST', '/v1/logs', handle('logs'), { renderError: renderOtlpError });
}
