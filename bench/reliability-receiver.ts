/**
 * A receiver child process for the reliability bench, restartable on the same port and data directory (clients
 * keep one endpoint, as exporters do): `trajectories serve` with embedded ClickHouse, its output appended to a log
 * file instead of this terminal (thirty restarts would bury the table), killed with SIGKILL or stopped cleanly
 * within a deadline (a receiver whose writer is stuck may never finish draining).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/trajectories.mjs', import.meta.url));

export interface ReceiverChild {
  child: ChildProcess;
  url: string;
  /** performance.now() when the process was spawned. */
  spawnedAt: number;
  /** Resolves with performance.now() when the receiver printed its OTLP/HTTP address; rejects if it exits first. */
  ready: Promise<number>;
  exited: Promise<void>;
}

/** A port free right now, for a receiver that must come back on the same address after each kill. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function spawnReceiver(options: {
  dataDir: string;
  port: number;
  logFile: WriteStream;
  extraArguments?: string[];
}): ReceiverChild {
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--data-dir',
      options.dataDir,
      '--http-port',
      String(options.port),
      '--grpc-port',
      '-1',
      ...(options.extraArguments ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr.pipe(options.logFile, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      options.logFile.write(chunk);
      output += chunk.toString();
      if (/OTLP\/HTTP\s+http:\/\/\S+/.test(output)) resolve(performance.now());
    });
    child.once('exit', (code, signal) => reject(new Error(`receiver exited (${signal ?? code}) before it was ready`)));
  });
  ready.catch(() => undefined); // a kill during startup is expected; callers that care await `ready`
  return { child, url: `http://127.0.0.1:${options.port}`, spawnedAt, ready, exited };
}

export async function killReceiver(receiver: ReceiverChild): Promise<void> {
  if (receiver.child.exitCode === null && receiver.child.signalCode === null) receiver.child.kill('SIGKILL');
  await receiver.exited;
}

/** SIGTERM (the receiver drains its log), then SIGKILL after `deadlineMillis`. True if it exited on its own. */
export async function stopReceiver(receiver: ReceiverChild, deadlineMillis: number): Promise<boolean> {
  if (receiver.child.exitCode !== null || receiver.child.signalCode !== null) return true;
  receiver.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    receiver.exited.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMillis))),
  ]);
  clearTimeout(timer);
  if (!inTime) await killReceiver(receiver);
  return inTime;
}

/** Beside the data directory, not in it: the data directory is the receiver's alone. */
export function logPathBeside(dataDir: string): string {
  return `${dataDir}-receiver.log`;
}

export function openLogFile(path: string): WriteStream {
  return createWriteStream(path, { flags: 'a' });
}

export function lastLines(path: string, count: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}

export async function health(url: string): Promise<{ httpStatus: number; status?: string; pendingBytes?: number }> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { status?: string; pending_bytes?: number };
    return { httpStatus: response.status, status: body.status, pendingBytes: body.pending_bytes };
  } catch {
    return { httpStatus: 0 };
  }
}

/** Waits until /healthz reports no backlog; false if `deadlineMillis` passes first. */
export async function waitUntilDrained(url: string, deadlineMillis: number): Promise<boolean> {
  const deadline = performance.now() + deadlineMillis;
  while (performance.now() < deadline) {
    const { pendingBytes } = await health(url);
    if (pendingBytes === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
