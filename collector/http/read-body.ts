/**
 * Reads a request body within a size limit. The limit applies to the decompressed size, and a gzip body is
 * inflated with a hard output cap, so a gzip bomb is refused without being inflated whole. The result is a
 * discriminated union because each route answers a bad body in its own format: the OTLP routes hand it to the
 * export path (its failures are export outcomes), the JSON API turns it into an HttpError with `requireBody`.
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { HttpError } from './http-error.ts';

const gunzipAsync = promisify(gunzip);

export type BodyRead =
  | { status: 'read'; body: Buffer }
  /** Over the limit, as declared, as sent or as inflated (HTTP 413). */
  | { status: 'too_large'; message: string }
  /** A Content-Encoding other than gzip or identity (HTTP 415). */
  | { status: 'unsupported'; message: string }
  /** Declared gzip but is not (HTTP 400). */
  | { status: 'invalid'; message: string };

export async function readBody(request: IncomingMessage, maxBytes: number): Promise<BodyRead> {
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
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > maxBytes) {
      request.resume();
      return tooLarge;
    }
    chunks.push(chunk);
  }
  const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
  if (encoding !== 'gzip') return { status: 'read', body: raw };
  try {
    return { status: 'read', body: await gunzipAsync(raw, { maxOutputLength: maxBytes }) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge;
    return { status: 'invalid', message: `not valid gzip: ${(error as Error).message}` };
  }
}

const bodyStatus = { too_large: 413, unsupported: 415, invalid: 400 } as const;

/** The body, or the HttpError (413, 415, 400) the route's error renderer answers with. */
export async function requireBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const read = await readBody(request, maxBytes);
  if (read.status === 'read') return read.body;
  throw new HttpError(bodyStatus[read.status], read.status === 'invalid' ? `body: ${read.message}` : read.message);
}
