/**
 * Scenario: eight clients send request headers and then trickle their bodies one byte at a time (four declaring
 * the largest allowed Content-Length, four chunked), while one normal client sends ordinary requests one after
 * another. Passes if every normal request is answered 200: slow clients must not hold the memory budget that
 * admits everyone else (a 429 to the normal client is the failure). What the trickling clients were answered, if
 * anything, is reported beside the verdict.
 */
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { temporaryDirectory } from '../test/helpers/test-receiver.ts';
import { UniqueRequests } from './reliability-clients.ts';
import {
  freePort,
  lastLines,
  logPathBeside,
  openLogFile,
  spawnReceiver,
  stopReceiver,
} from './reliability-receiver.ts';
import type { ScenarioVerdict } from './reliability-scenario.ts';
import { post } from './receiver-process.ts';

const tricklers = 8;
/** The receiver's default --max-request-bytes: the most a client may declare without an immediate 413. */
const declaredBytes = 32 * 1024 * 1024;
const trickleEveryMillis = 250;

interface Trickler {
  socket: Socket;
  timer?: NodeJS.Timeout;
  answer?: string;
  closed: boolean;
}

function startTrickler(port: number, chunked: boolean): Trickler {
  const socket = connect(port, '127.0.0.1');
  const trickler: Trickler = { socket, closed: false };
  socket.on('error', () => undefined);
  socket.on('close', () => {
    trickler.closed = true;
    clearInterval(trickler.timer);
  });
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    trickler.answer ??= /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
  });
  socket.write(
    [
      'POST /v1/traces HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Content-Type: application/x-protobuf',
      chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${declaredBytes}`,
      '',
      '',
    ].join('\r\n'),
  );
  // 0x0a starts a ResourceSpans field: the bytes are the beginning of a plausible body, never its end.
  trickler.timer = setInterval(() => {
    if (!trickler.closed) socket.write(chunked ? '1\r\n\n\r\n' : '\n');
  }, trickleEveryMillis);
  return trickler;
}

export async function tricklingBodiesScenario(options: {
  bodies: Uint8Array[];
  normalRequests: number;
}): Promise<ScenarioVerdict> {
  const name = `${tricklers} trickling bodies, one normal client`;
  const dataDir = temporaryDirectory('bench-reliability-trickle-');
  const logPath = logPathBeside(dataDir);
  const logFile = openLogFile(logPath);
  const port = await freePort();
  const receiver = spawnReceiver({ dataDir, port, logFile });
  const slow: Trickler[] = [];
  try {
    await receiver.ready;
    for (let index = 0; index < tricklers; index++) slow.push(startTrickler(port, index % 2 === 1));
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const requests = new UniqueRequests(options.bodies);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const endpoint = new URL(`${receiver.url}/v1/traces`);
    const statuses: Record<string, number> = {};
    for (let index = 0; index < options.normalRequests; index++) {
      const status = await post(agent, endpoint, requests.take().body).catch(() => 0);
      statuses[status === 0 ? 'connection error' : String(status)] =
        (statuses[status === 0 ? 'connection error' : String(status)] ?? 0) + 1;
    }
    agent.destroy();
    const accepted = statuses['200'] ?? 0;
    const answeredSlow = slow.filter((trickler) => trickler.answer !== undefined);
    const closedSlow = slow.filter((trickler) => trickler.closed).length;
    const slowOutcome =
      `trickling clients: ${answeredSlow.length} answered (${answeredSlow.map((trickler) => trickler.answer).join(', ') || 'none'}), ` +
      `${closedSlow} closed, ${tricklers - closedSlow} still open`;
    const normalOutcome = Object.entries(statuses)
      .map(([status, count]) => `${count}x ${status}`)
      .join(', ');
    return {
      name,
      passed: accepted === options.normalRequests,
      detail: `normal client: ${normalOutcome} of ${options.normalRequests}; ${slowOutcome}`,
    };
  } catch (error) {
    return { name, passed: false, detail: `${(error as Error).message}; ${lastLines(logPath, 3)}` };
  } finally {
    for (const trickler of slow) {
      clearInterval(trickler.timer);
      trickler.socket.destroy();
    }
    await stopReceiver(receiver, 15_000);
    logFile.end();
  }
}
