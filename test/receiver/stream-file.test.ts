/**
 * Sending a finished export file (collector/api/stream-file.ts) over a real HTTP server on port 0: the bytes and
 * headers arrive whole, and a client that stops reading or hangs up mid-body is let go rather than held, with the
 * caller told so (it then removes the file). The file is larger than the socket buffers, so the server really
 * waits on the client.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamFile, type StreamFileOutcome } from '../../collector/api/stream-file.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const fileBytes = 64 * 1024 * 1024;
const directory = temporaryDirectory('stream-file-');
const path = join(directory, 'export.jsonl');
let server: Server;
let url: string;
let outcomes: Array<Promise<StreamFileOutcome>> = [];

beforeAll(async () => {
  writeFileSync(path, Buffer.alloc(fileBytes, 'x'));
  server = createServer((_request, response) => {
    outcomes.push(
      streamFile(
        response,
        path,
        { 'Content-Type': 'application/x-ndjson', 'Content-Length': String(fileBytes) },
        { stallMillis: 300 },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

/**
 * Sends a GET; `onResponse` decides how the client reads. Resolves with the server's outcome once it has one and
 * the client is done (`clientDone`, else at once: a paused client never reads the server's hang-up, so its end is
 * closed here).
 */
async function request(
  onResponse: (response: IncomingMessage) => void,
  clientDone: Promise<void> = Promise.resolve(),
): Promise<StreamFileOutcome> {
  outcomes = [];
  const sent = get(url, { agent: false }, onResponse);
  sent.on('error', () => undefined);
  try {
    while (outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const outcome = await (outcomes[0] as Promise<StreamFileOutcome>);
    await clientDone;
    return outcome;
  } finally {
    sent.destroy();
  }
}

describe('streamFile', () => {
  it('sends the whole file with its headers', async () => {
    let received = 0;
    let length: string | undefined;
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const outcome = await request((response) => {
      length = response.headers['content-length'];
      response.on('data', (chunk: Buffer) => (received += chunk.length));
      response.on('end', ended);
    }, done);
    expect(outcome).toBe('sent');
    expect(length).toBe(String(fileBytes));
    expect(received).toBe(fileBytes);
  });

  it('closes the connection of a client that stops reading', async () => {
    const started = Date.now();
    // Paused: the client takes what fits in the socket buffers and nothing more.
    expect(await request((response) => response.pause())).toBe('client-gone');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops when the client hangs up mid-body', async () => {
    expect(await request((response) => response.once('data', () => response.destroy()))).toBe('client-gone');
  });
});
