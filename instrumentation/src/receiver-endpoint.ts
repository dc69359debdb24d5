/**
 * Where `recall()` finds the receiver: the same one the spans go to. The OTLP exporter reads its own variables; the
 * JSON API lives on the same HTTP port, so the base URL and the bearer token are taken from the same conventions:
 * option, else `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (without its `/v1/traces`), else `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * else `http://localhost:4318`; the token from the option, else the `Authorization` entry of
 * `OTEL_EXPORTER_OTLP_TRACES_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`.
 */
import { getStringFromEnv, parseKeyPairsIntoRecord } from '@opentelemetry/core';

export const defaultReceiverUrl = 'http://localhost:4318';

export interface ReceiverEndpoint {
  baseUrl: URL;
  /** The `Authorization` header value, when there is one. */
  authorization: string | undefined;
}

/** Throws a TypeError naming the setting when the URL is not absolute (the caller turns it into an empty result). */
export function resolveReceiverEndpoint(url: string | undefined, token: string | undefined): ReceiverEndpoint {
  const configured = url ?? tracesEndpointBase() ?? getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  const raw = configured ?? defaultReceiverUrl;
  let baseUrl: URL;
  try {
    baseUrl = new URL(raw);
  } catch {
    const setting =
      url !== undefined ? 'the url option' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT';
    throw new TypeError(
      `${setting} must be an absolute URL of the receiver such as http://127.0.0.1:4318, got ${JSON.stringify(raw)}`,
    );
  }
  return { baseUrl, authorization: token !== undefined ? `Bearer ${token}` : authorizationFromEnvironment() };
}

/** The receiver's JSON API URL for `path` (`/v1/...`), keeping any path prefix of the base (a proxy mount). */
export function receiverApiUrl(baseUrl: URL, path: string): URL {
  const url = new URL(baseUrl.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  return url;
}

function tracesEndpointBase(): string | undefined {
  const tracesEndpoint = getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  return tracesEndpoint?.replace(/\/+$/, '').replace(/\/v1\/traces$/, '');
}

function authorizationFromEnvironment(): string | undefined {
  // Signal-specific headers take precedence over the shared ones, as in the OTLP exporter.
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS']) {
    const headers = parseKeyPairsIntoRecord(getStringFromEnv(variable));
    const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
    if (authorization !== undefined && authorization.trim() !== '') return authorization.trim();
  }
  return undefined;
}
