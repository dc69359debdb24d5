/**
 * A receiver in its own process for the benchmarks (libchdb binds one data directory per process, and a receiver
 * measured in the bench's own process would share its event loop): start it, POST OTLP/HTTP protobuf to it, wait
 * until its log is stored, stop it. With BENCH_RECEIVER_CPU_PROF set to a directory the receiver writes a V8 CPU
 * profile there when it exits (`bench/event-loop-stalls.ts` lists what blocked its event loop).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/trajectories.mjs', import.meta.url));

export function startReceiverProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const profileDirectory = process.env['BENCH_RECEIVER_CPU_PROF'];
    const profile = profileDirectory ? ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`] : [];
    const child = spawn(
      process.execPath,
      [...profile, bin, 'serve', '--data-dir', dataDir, '--http-port', '0', '--grpc-port', '-1'],
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

export function post(agent: Agent, url: URL, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.byteLength },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function pendingBytes(url: string): Promise<number> {
  const health = (await (await fetch(`${url}/healthz`)).json()) as { pending_bytes: number };
  return health.pending_bytes;
}

export async function waitUntilStored(url: string): Promise<void> {
  while ((await pendingBytes(url)) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** SIGTERM, then waits for the receiver to exit (it drains its log and releases its data directory). */
export function stopReceiverProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * POSTs a request until it is accepted, waiting 50 ms after each 429/503. Returns the refusals and the latency of
 * the accepted attempt.
 */
export async function postUntilAccepted(
  agent: Agent,
  endpoint: URL,
  body: Uint8Array,
): Promise<{ refusals: number; latency: number }> {
  for (let refusals = 0; ; refusals++) {
    const sent = performance.now();
    const status = await post(agent, endpoint, body);
    if (status === 200) return { refusals, latency: performance.now() - sent };
    if (status !== 429 && status !== 503) throw new Error(`unexpected status ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends every body with `concurrency` requests in flight; each accepted request's ack latency, and the retries. */
export async function postAll(
  url: string,
  bodies: Uint8Array[],
  concurrency: number,
): Promise<{ latencies: number[]; refusals: number }> {
  const endpoint = new URL(`${url}/v1/traces`);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  let refusals = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const outcome = await postUntilAccepted(agent, endpoint, bodies[next++]!);
        refusals += outcome.refusals;
        latencies.push(outcome.latency);
      }
    }),
  );
  agent.destroy();
  return { latencies, refusals };
}
