/**
 * Reads a request body within the configured size limit. The limit applies to the decompressed size, and a
 * gzip body is inflated with a hard output cap, so a gzip bomb is refused (413) without being inflated whole.
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { HttpError } from './http-error.ts';

const gunzipAsync = promisify(gunzip);

export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== '') {
    request.resume();
    throw new HttpError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)}: send gzip or no encoding`);
  }
  const tooLarge = () =>
    new HttpError(413, `request body is over the ${maxBytes}-byte limit (--max-request-bytes); send smaller batches`);
  const declaredLength = Number(request.headers['content-length'] ?? NaN);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
    request.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > maxBytes) {
      request.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
  if (encoding !== 'gzip') return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new HttpError(400, `body is not valid gzip: ${(error as Error).message}`);
  }
}
