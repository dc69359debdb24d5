/**
 * Reads a request body within a size limit. The limit applies to the decompressed size, and a gzip body is
 * inflated with a hard output cap, so a gzip bomb is refused without being inflated whole. The result is a
 * discriminated union because each route answers a bad body in its own format: the OTLP routes hand it to the
 * export path (its failures are export outcomes), the JSON API turns it into an HttpError with `requireBody`.
 *
 * The OTLP routes also pass `charge`, called with each chunk as it arrives, so the in-flight budget holds what a
 * client has sent rather than what it declared, and `idleMillis`, so a body that stops arriving is given up on
 * instead of holding its memory and connection until the request timeout.
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { parseJsonText } from '../../src/conventions/parse-json-text.ts';
import { HttpError } from './http-error.ts';

const gunzipAsync = promisify(gunzip);

export type BodyRead =
  | { status: 'read'; body: Buffer }
  /** Over the limit, as declared, as sent or as inflated (HTTP 413). */
  | { status: 'too_large'; message: string }
  /** A Content-Encoding other than gzip or identity (HTTP 415). */
  | { status: 'unsupported'; message: string }
  /** Declared gzip but is not (HTTP 400). */
  | { status: 'invalid'; message: string }
  /** `charge` refused a chunk: the rest of the body is not read (HTTP 429). */
  | { status: 'over_budget' }
  /** No byte arrived for `idleMillis` (HTTP 408). */
  | { status: 'timeout'; message: string };

export interface BodyReadOptions {
  /** Largest body, checked as declared, as sent and after decompression. */
  maxBytes: number;
  /** Charges a chunk's bytes before it is kept; false stops the read with `over_budget`. */
  charge?: (bytes: number) => boolean;
  /** Longest wait for the next chunk of a body that has not ended. */
  idleMillis?: number;
}

type RawRead = { status: 'read'; raw: Buffer } | Extract<BodyRead, { status: 'too_large' | 'over_budget' | 'timeout' }>;

/** Collects the raw (still encoded) bytes, stopping at the first chunk over a limit or a stall. */
function collect(request: IncomingMessage, options: BodyReadOptions, tooLarge: BodyRead): Promise<RawRead> {
  const { maxBytes, charge, idleMillis } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    const finish = (read: RawRead | Error) => {
      clearTimeout(idleTimer);
      request.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (read instanceof Error) reject(read);
      else resolve(read);
    };
    const armIdleTimer = () => {
      if (idleMillis === undefined) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        request.pause();
        finish({
          status: 'timeout',
          message: `request body stalled: no bytes for ${idleMillis} ms (TRAJECTORIES_BODY_IDLE_TIMEOUT_MS); send the body without pauses`,
        });
      }, idleMillis);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return finish(tooLarge as RawRead);
      if (charge && !charge(chunk.length)) {
        request.pause();
        return finish({ status: 'over_budget' });
      }
      chunks.push(chunk);
      armIdleTimer();
    };
    const onEnd = () => finish({ status: 'read', raw: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
    const onError = (error: Error) => finish(error);
    const onAborted = () => finish(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    request.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
    armIdleTimer();
  });
}

export async function readBody(request: IncomingMessage, limits: number | BodyReadOptions): Promise<BodyRead> {
  const options = typeof limits === 'number' ? { maxBytes: limits } : limits;
  const { maxBytes } = options;
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== '') {
    request.resume();
    return {
      status: 'unsupported',
      message: `unsupported Content-Encoding ${JSON.stringify(encoding)}: send gzip or no encoding`,
    };
  }
  const tooLarge: BodyRead = {
    status: 'too_large',
    message: `request body is over the ${maxBytes}-byte limit (--max-request-bytes); send smaller batches`,
  };
  const declaredLength = Number(request.headers['content-length'] ?? NaN);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
    request.resume();
    return tooLarge;
  }
  const collected = await collect(request, options, tooLarge);
  if (collected.status === 'too_large') request.resume();
  if (collected.status !== 'read') return collected;
  if (encoding !== 'gzip') return { status: 'read', body: collected.raw };
  try {
    return { status: 'read', body: await gunzipAsync(collected.raw, { maxOutputLength: maxBytes }) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge;
    return { status: 'invalid', message: `not valid gzip: ${(error as Error).message}` };
  }
}

const bodyStatus = { too_large: 413, unsupported: 415, invalid: 400, over_budget: 429, timeout: 408 } as const;

/** The body, or the HttpError (413, 415, 400) the route's error renderer answers with. */
export async function requireBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const read = await readBody(request, maxBytes);
  if (read.status === 'read') return read.body;
  if (read.status === 'over_budget') throw new HttpError(bodyStatus[read.status], 'receiver overloaded; retry later');
  throw new HttpError(bodyStatus[read.status], read.status === 'invalid' ? `body: ${read.message}` : read.message);
}

/**
 * The body parsed as JSON, or a 400 `body: not valid JSON`. Strings come out well-formed (a lone surrogate escape
 * would make ClickHouse refuse the row it ends up in).
 */
export async function requireJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const text = (await requireBody(request, maxBytes)).toString('utf8');
  try {
    return parseJsonText(text);
  } catch {
    throw new HttpError(400, 'body: not valid JSON');
  }
}
