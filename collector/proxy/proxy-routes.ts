/**
 * The LLM proxy: OpenAI-compatible (`/proxy/<upstream>/v1/chat/completions`, `/v1/responses`, `/v1/completions`)
 * and Anthropic-compatible (`/proxy/<upstream>/v1/messages`) endpoints, also under Agent Lightning's
 * `/proxy/<upstream>/rollout/<rollout_id>/attempt/<attempt_id>/v1/...`, so an agent in any language is captured by
 * changing its base URL. Each call is forwarded unchanged (forward-call.ts) and then recorded as a GenAI span
 * (src/proxy/ turns the exchange into attributes) through the normal ingest path: the write-ahead log, the
 * caller's tenant, the convention mapping.
 *
 * The receiver's token travels in `x-trajectories-token` (when auth is on), because `Authorization` and `x-api-key`
 * carry the provider's key to the upstream. Recording never breaks the agent's call: when the log refuses it
 * (overload, a full disk, a store outage with a full log) the call has already been answered, and the loss is
 * counted (`trajectories_proxy_recordings_total{outcome}`) and logged. With `--proxy-fail-closed` a call is
 * refused (503) up front while its recording would be.
 */
import { parseJsonText } from '../../src/conventions/parse-json-text.ts';
import { recordExchange, type ProxyProtocol } from '../../src/proxy/exchange.ts';
import { HttpError, type ErrorRenderer } from '../http/http-error.ts';
import { requireBody } from '../http/read-body.ts';
import type { RequestContext, Router } from '../http/router.ts';
import type { Ingestor } from '../ingest/ingestor.ts';
import type { ReceiverMetrics } from '../metrics/receiver-metrics.ts';
import { callIdentity, identityHeaders } from './call-identity.ts';
import { exchangeSpan } from './exchange-span.ts';
import { forwardCall, upstreamHeaders } from './forward-call.ts';
import type { ProxyUpstream } from './proxy-upstreams.ts';

export interface ProxyOptions {
  upstreams: ReadonlyMap<string, ProxyUpstream>;
  ingestor: Ingestor;
  metrics: ReceiverMetrics;
  timeoutMillis: number;
  failClosed: boolean;
  maxRequestBytes: number;
  log: (message: string) => void;
}

/** The endpoints, by the path after `/proxy/<upstream>/` (and after the rollout segments). */
const endpoints: ReadonlyArray<{ path: string; protocol: ProxyProtocol }> = [
  { path: 'v1/chat/completions', protocol: 'openai-chat' },
  { path: 'v1/responses', protocol: 'openai-responses' },
  { path: 'v1/completions', protocol: 'openai-completions' },
  { path: 'v1/messages', protocol: 'anthropic-messages' },
];

/** Largest response copy kept for a recording; the client gets the whole answer whatever its size. */
const maxCaptureBytes = 64 * 1024 * 1024;

export const proxyTokenHeader = 'x-trajectories-token';

/** Never sent upstream: the receiver's own token and identity headers, and what the proxy recomputes. */
const notForwarded = new Set<string>([
  proxyTokenHeader,
  ...identityHeaders,
  'host',
  'content-length',
  // The body was inflated on the way in (requireBody), and the answer is asked for uncompressed so it can be
  // recorded without inflating it again: the client receives the same content, identity-encoded.
  'content-encoding',
  'accept-encoding',
  'expect',
]);

function openAiError(message: string, type: string): string {
  return JSON.stringify({ error: { message, type, param: null, code: null } });
}

function anthropicError(message: string, type: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

function errorRendererFor(protocol: ProxyProtocol): ErrorRenderer {
  const body = protocol === 'anthropic-messages' ? anthropicError : openAiError;
  return (error) => ({
    contentType: 'application/json',
    body: body(error.message, error.status === 401 ? 'authentication_error' : 'invalid_request_error'),
  });
}

function parseBody(body: Buffer): unknown {
  try {
    return parseJsonText(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function addProxyRoutes(router: Router, options: ProxyOptions): void {
  const { upstreams, ingestor, metrics } = options;

  async function handle(context: RequestContext, protocol: ProxyProtocol, path: string): Promise<void> {
    const { request, response, params } = context;
    const name = params['upstream'] ?? '';
    const upstream = upstreams.get(name);
    if (!upstream) {
      request.resume();
      const known = [...upstreams.keys()].join(', ') || 'none: start the receiver with --proxy-upstream name=url';
      throw new HttpError(404, `no proxy upstream named ${JSON.stringify(name)} (configured: ${known})`);
    }
    if (options.failClosed) {
      const admission = ingestor.admission();
      if (admission.status !== 'accepted') {
        request.resume();
        metrics.proxyCalls.inc({ upstream: name, protocol, outcome: 'refused' });
        throw new HttpError(503, `the call would not be recorded (${admission.message}); retry later`, {
          'Retry-After': String(admission.retryAfterSeconds),
        });
      }
    }
    // Every provider SDK sends JSON; a page in the user's browser cannot without a CORS preflight the receiver
    // never grants, so this also keeps cross-site pages from spending the upstream through the proxy.
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      request.resume();
      throw new HttpError(
        415,
        `the LLM proxy takes Content-Type: application/json (got ${JSON.stringify(mediaType ?? '')})`,
      );
    }
    const body = await requireBody(request, options.maxRequestBytes);
    const rollout =
      params['rollout'] !== undefined
        ? { rolloutId: params['rollout'], attemptId: params['attempt'] ?? '' }
        : undefined;
    const identity = callIdentity(request.headers, rollout);
    const target = new URL(upstream.baseUrl.href);
    target.pathname = `${upstream.baseUrl.pathname.replace(/\/$/, '')}/${path}`;
    target.search = context.url.search;
    // Wall-clock start, monotonic duration: the span's end can never precede its start when the clock steps.
    const startNanos = BigInt(Date.now()) * 1_000_000n;
    const startedAt = process.hrtime.bigint();
    const outcome = await forwardCall(request, response, target, upstreamHeaders(request, notForwarded), body, {
      timeoutMillis: options.timeoutMillis,
      maxCaptureBytes,
      errorBody: protocol === 'anthropic-messages' ? anthropicError : openAiError,
    });
    const endNanos = startNanos + (process.hrtime.bigint() - startedAt);
    metrics.proxyCalls.inc({
      upstream: name,
      protocol,
      outcome: outcome.failureKind !== '' ? outcome.failureKind : `${Math.floor(outcome.status / 100)}xx`,
    });

    // The answer is out: what follows only records it.
    const record = recordExchange({
      protocol,
      request: parseBody(body),
      status: outcome.status,
      contentType: outcome.contentType,
      responseText: outcome.captured.toString('utf8'),
      truncated: outcome.truncated,
      failure: outcome.failure,
    });
    const span = exchangeSpan(record, identity, { startNanos, endNanos }, name);
    try {
      const result = await ingestor.ingestTraces(context.tenant, { spans: [span], rejected: 0, rejectionMessages: [] });
      metrics.proxyRecordings.inc({ outcome: result.status === 'accepted' ? 'recorded' : result.status });
      if (result.status !== 'accepted')
        options.log(`llm proxy: a ${protocol} call to ${name} was answered but not recorded: ${result.message}`);
    } catch (error) {
      metrics.proxyRecordings.inc({ outcome: 'failed' });
      options.log(`llm proxy: recording a ${protocol} call to ${name} failed: ${(error as Error).message}`);
    }
  }

  for (const { path, protocol } of endpoints) {
    const routeOptions = {
      audience: 'exporter' as const,
      tokenHeader: proxyTokenHeader,
      renderError: errorRendererFor(protocol),
    };
    router.add('POST', `/proxy/:upstream/${path}`, (context) => handle(context, protocol, path), routeOptions);
    router.add(
      'POST',
      `/proxy/:upstream/rollout/:rollout/attempt/:attempt/${path}`,
      (context) => handle(context, protocol, path),
      routeOptions,
    );
  }
}
