/**
 * Sends a finished file as a response body at the pace the client takes it: a chunk at a time, waiting for the
 * socket to drain, so a large export never sits in memory. A client that takes nothing for `stallMillis` has its
 * connection closed: it would otherwise hold the file (and the temporary directory the caller removes afterwards)
 * open for as long as it likes. The caller learns whether the body went out; it removes the file either way.
 */
import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { drainedOrClosed } from './stream-json.ts';

const chunkBytes = 256 * 1024;

export type StreamFileOutcome = 'sent' | 'client-gone';

export async function streamFile(
  response: ServerResponse,
  path: string,
  headers: Record<string, string>,
  options: { stallMillis: number },
): Promise<StreamFileOutcome> {
  const file = createReadStream(path, { highWaterMark: chunkBytes });
  response.writeHead(200, headers);
  try {
    for await (const chunk of file as AsyncIterable<Buffer>) {
      if (response.destroyed) return 'client-gone';
      if (!response.write(chunk)) {
        if ((await drainedOrClosed(response, options.stallMillis)) === 'stalled') response.destroy();
        if (response.destroyed) return 'client-gone';
      }
    }
  } catch (error) {
    // The headers are out, so no error answer can follow: end the connection rather than leave it hanging.
    response.destroy();
    throw error;
  } finally {
    file.destroy();
  }
  response.end();
  return 'sent';
}
