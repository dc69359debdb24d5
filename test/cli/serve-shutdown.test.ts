/**
 * `trajectories serve` (a real child process) stopping under load: keep-alive clients hammer it with spans, it
 * gets SIGTERM, and then it must stop serving them (connection closes, then refusals), store what it
 * acknowledged, and exit within its grace period, where it used to keep answering for as long as the clients
 * kept coming. A second receiver on the same data directory then finds every acknowledged span.
 */
import { Agent, request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { queryRows, startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';
import { startServe } from './run-cli.ts';

const traceId = '6bf92f3577b34da6a3ce929d0e0e4736';
const graceSeconds = 10;
let reopened: Receiver | undefined;
afterAll(async () => {
  await reopened?.close();
});

interface Answer {
  status?: number;
  connection?: string;
  error?: string;
}

function postSpan(agent: Agent, url: string, spanId: string): Promise<Answer> {
  const body = JSON.stringify({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId,
                name: 'chat',
                kind: 3,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000500000000',
              },
            ],
          },
        ],
      },
    ],
  });
  return new Promise((resolve) => {
    const outgoing = request(
      `${url}/v1/traces`,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode, connection: response.headers.connection }));
        response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    outgoing.end(body);
  });
}

describe('trajectories serve on SIGTERM under keep-alive load', () => {
  it('closes its connections, stores every acknowledged span and exits within the grace period', async () => {
    const dataDir = temporaryDirectory('serve-shutdown-');
    const serve = await startServe([
      '--http-port',
      '0',
      '--grpc-port',
      '-1',
      '--wal-sync',
      'none',
      '--data-dir',
      dataDir,
      '--shutdown-grace-seconds',
      String(graceSeconds),
    ]);
    const url = /OTLP\/HTTP\s+(http:\/\/\S+)/.exec(serve.ready)?.[1];
    if (!url) throw new Error(`no OTLP/HTTP URL in ${serve.ready}`);

    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const acknowledged = new Set<string>();
    const afterSignal: Answer[] = [];
    let signalled = false;
    let exited = false;
    let nextSpan = 1;
    const worker = async () => {
      while (!exited) {
        const spanId = (nextSpan++).toString(16).padStart(16, '0');
        const answer = await postSpan(agent, url, spanId);
        if (answer.status === 200) acknowledged.add(spanId);
        if (signalled) afterSignal.push(answer);
        // Refused connections come back at once; pause so the loop does not spin on them.
        if (answer.error) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await expect.poll(() => acknowledged.size, { timeout: 30_000 }).toBeGreaterThan(200);

    signalled = true;
    const signalledAt = Date.now();
    const exit = serve.stop();
    const outcome = await Promise.race([
      exit.then((code) => ({ code })),
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), (graceSeconds + 10) * 1000)),
    ]);
    const stopMillis = Date.now() - signalledAt;
    exited = true;
    await Promise.all(workers);
    agent.destroy();
    expect(outcome, 'serve exited after SIGTERM while clients kept sending').toEqual({ code: 0 });
    expect(stopMillis).toBeLessThan(graceSeconds * 1000);

    // The clients were turned away: told to close, then refused (or reset), not served until they gave up.
    expect(afterSignal.some((answer) => answer.connection === 'close' || answer.error)).toBe(true);
    expect(afterSignal.some((answer) => answer.error === 'ECONNREFUSED')).toBe(true);
    const servedAfterSignal = afterSignal.filter((answer) => answer.status === 200).length;
    expect(servedAfterSignal).toBeLessThan(100);

    reopened = await startTestReceiver({ dataDir, grpcPort: -1 });
    await reopened.flush(30_000);
    const rows = await queryRows<{ span_id: string }>(
      reopened,
      'SELECT span_id FROM spans FINAL WHERE trace_id = {t:String}',
      { t: traceId },
    );
    const stored = new Set(rows.map((row) => row.span_id));
    const missing = [...acknowledged].filter((spanId) => !stored.has(spanId));
    expect(missing).toEqual([]);
  }, 120_000);
});
