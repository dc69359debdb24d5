/**
 * One proxied call, over the wire: the client's request goes to the upstream with its headers (credentials
 * included: they are the client's, passed on and never kept), and the upstream's answer comes back as it arrives,
 * status, headers and body untouched, each chunk written to the client before the next is read (server-sent
 * events are relayed as they stream, and a slow client slows the upstream read instead of piling up memory). A
 * copy of the body, up to a cap, is kept for the recording.
 *
 * Failures answer in the provider's error shape so SDKs report them as they would their own: an unreachable
 * upstream is 502, one silent for `timeoutMillis` (before its headers or between chunks) is 504; after the headers
 * have gone out nothing can be said any more, so the client's connection is cut, as the upstream's was. A client
 * that goes away cancels the upstream call.
 */
import {
  request as httpRequest,
  Agent as HttpAgent,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';

export interface ForwardOutcome {
  /** Upstream status; 0 when no response came. */
  status: number;
  contentType: string;
  /** The body as received, up to the capture cap. */
  captured: Buffer;
  truncated: boolean;
  /** '' when the exchange completed; else what ended it. */
  failure: string;
  failureKind: '' | 'timeout' | 'client_aborted' | 'connection_error';
}

export interface ForwardOptions {
  timeoutMillis: number;
  maxCaptureBytes: number;
  /** Writes the proxy's own error (502/504) in the provider's shape. */
  errorBody: (message: string, type: string) => string;
}

// Kept-alive connections per upstream host: a TLS handshake per call would cost more than the proxy itself.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 256 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
};

/** Per-connection headers (RFC 9110 section 7.6.1) that a proxy must not forward. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The response headers to relay: all but the per-connection ones. */
function relayedHeaders(upstream: IncomingMessage): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
  }
  return headers;
}

/** The request headers to send upstream: the client's, less per-connection ones and those named in `drop`. */
export function upstreamHeaders(client: IncomingMessage, drop: ReadonlySet<string>): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(client.headers)) {
    if (value === undefined || hopByHop.has(name) || drop.has(name)) continue;
    headers[name] = value;
  }
  return headers;
}

export function forwardCall(
  client: IncomingMessage,
  response: ServerResponse,
  target: URL,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  options: ForwardOptions,
): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let capturedBytes = 0;
    let truncated = false;
    let status = 0;
    let contentType = '';
    let settled = false;
    const settle = (failure: string, failureKind: ForwardOutcome['failureKind']) => {
      if (settled) return;
      settled = true;
      resolve({ status, contentType, captured: Buffer.concat(chunks), truncated, failure, failureKind });
    };
    const fail = (httpStatus: number, message: string, kind: ForwardOutcome['failureKind'], type: string) => {
      if (!response.headersSent && !response.destroyed) {
        const text = options.errorBody(message, type);
        response.writeHead(httpStatus, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
        });
        response.end(text);
      } else {
        response.destroy();
      }
      settle(message, kind);
    };

    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(target, {
      method: client.method ?? 'POST',
      headers: { ...headers, host: target.host, 'content-length': String(body.byteLength) },
      agent: agents[target.protocol as 'http:' | 'https:'],
    });
    upstream.setTimeout(options.timeoutMillis, () => {
      upstream.destroy();
      fail(504, `the upstream sent nothing for ${options.timeoutMillis} ms`, 'timeout', 'timeout');
    });
    // The client went away: stop the upstream call (it may be generating tokens someone pays for).
    response.once('close', () => {
      if (response.writableFinished) return;
      upstream.destroy();
      settle('client aborted', 'client_aborted');
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      fail(
        502,
        `the upstream is unreachable: ${error.code ?? error.message}`,
        'connection_error',
        'upstream_unreachable',
      );
    });
    upstream.on('response', (answer) => {
      status = answer.statusCode ?? 0;
      contentType = String(answer.headers['content-type'] ?? '');
      response.writeHead(status, answer.statusMessage, relayedHeaders(answer));
      // A stream begins with headers and a pause: its client should see the headers now. A whole answer goes out
      // with its first chunk, one socket write instead of two.
      if (contentType.startsWith('text/event-stream')) response.flushHeaders();
      answer.on('data', (chunk: Buffer) => {
        if (capturedBytes < options.maxCaptureBytes) {
          const kept =
            chunk.byteLength <= options.maxCaptureBytes - capturedBytes
              ? chunk
              : chunk.subarray(0, options.maxCaptureBytes - capturedBytes);
          chunks.push(kept);
          capturedBytes += kept.byteLength;
          if (kept !== chunk) truncated = true;
        } else {
          truncated = true;
        }
        if (!response.write(chunk)) {
          answer.pause();
          response.once('drain', () => answer.resume());
        }
      });
      answer.on('end', () => {
        response.end();
        settle('', '');
      });
      answer.on('error', (error) => {
        if (settled) return;
        fail(502, `the upstream's answer broke off: ${error.message}`, 'connection_error', 'upstream_unreachable');
      });
    });
    upstream.end(body);
  });
}
