/**
 * The context benchmarks' receiver: a `trajectories serve` process of its own (libchdb binds one data directory
 * per process) with summaries computed as soon as a trajectory's root ends (--quiet-seconds 0) and, when given,
 * an embeddings endpoint. Sends the history's OTLP bodies and waits until every trajectory is summarised.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { postAll, waitUntilStored } from './receiver-process.ts';

const bin = fileURLToPath(new URL('../bin/trajectories.mjs', import.meta.url));

export interface ContextReceiver {
  child: ChildProcess;
  url: string;
}

export function startContextReceiver(
  dataDir: string,
  embeddings?: { url: string; model: string },
): Promise<ContextReceiver> {
  const embeddingArguments = embeddings
    ? ['--embeddings-url', embeddings.url, '--embeddings-model', embeddings.model]
    : [];
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--data-dir',
        dataDir,
        '--http-port',
        '0',
        '--grpc-port',
        '-1',
        '--quiet-seconds',
        '0',
        ...embeddingArguments,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /OTLP\/HTTP\s+(http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}: ${output}`)));
  });
}

/** How many trajectories `GET /v1/trajectories` lists (pages of 1000). */
export async function listedTrajectories(url: string): Promise<number> {
  let listed = 0;
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const response = await fetch(`${url}/v1/trajectories?limit=1000${query}`);
    if (!response.ok) throw new Error(`GET /v1/trajectories answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { trajectories: unknown[]; next_cursor: string | null };
    listed += page.trajectories.length;
    cursor = page.next_cursor;
  } while (cursor);
  return listed;
}

/** Sends the bodies, waits until they are stored and until `expected` trajectories are listed (summarised). */
export async function ingestAndSummarise(
  url: string,
  bodies: Uint8Array[],
  expected: number,
  timeoutMillis = 300_000,
): Promise<void> {
  await postAll(url, bodies, 4);
  await waitUntilStored(url);
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const listed = await listedTrajectories(url);
    if (listed >= expected) return;
    if (Date.now() > deadline)
      throw new Error(`only ${listed} of ${expected} trajectories were summarised within ${timeoutMillis} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
