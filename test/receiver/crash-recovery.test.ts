import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../collector/receiver.ts';
import { queryRows, temporaryDirectory } from '../helpers/test-receiver.ts';

const bin = fileURLToPath(new URL('../../bin/trajectories.mjs', import.meta.url));
const traceId = 'aaaabbbbccccddddeeeeffff00001111';
let child: ChildProcess | undefined;
let restarted: Receiver | undefined;

afterAll(async () => {
  child?.kill('SIGKILL');
  await restarted?.close();
});

function startChild(dataDir: string): Promise<{ process: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const processHandle = spawn(
      process.execPath,
      [bin, 'serve', '--data-dir', dataDir, '--http-port', '0', '--grpc-port', '-1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /OTLP\/HTTP\s+(http:\/\/\S+)/.exec(output);
      if (match) resolve({ process: processHandle, url: match[1]! });
    };
    processHandle.stdout.on('data', onData);
    processHandle.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    processHandle.once('exit', (code) =>
      reject(new Error(`receiver exited with ${code} before it was ready:\n${output}`)),
    );
  });
}

function requestBody(batch: number, size: number): { body: string; spanIds: string[] } {
  const spanIds = Array.from({ length: size }, (_, index) => (batch * 1000 + index + 1).toString(16).padStart(16, '0'));
  const spans = spanIds.map((spanId) => ({
    traceId,
    spanId,
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000500000000',
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
    ],
  }));
  return { body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }), spanIds };
}

describe('crash recovery', () => {
  it('loses no acknowledged span and duplicates none when the receiver is killed with SIGKILL mid-load', async () => {
    const dataDir = temporaryDirectory();
    const started = await startChild(dataDir);
    child = started.process;
    const acknowledged = new Set<string>();
    let batch = 0;
    let killed = false;
    const sender = async () => {
      while (!killed) {
        const { body, spanIds } = requestBody(batch++, 20);
        try {
          const response = await fetch(`${started.url}/v1/traces`, {
            method: 'POST',
            body,
            headers: { 'Content-Type': 'application/json' },
          });
          if (response.status === 200) for (const id of spanIds) acknowledged.add(id);
        } catch {
          // The connection died with the process: this request was not acknowledged.
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    while (acknowledged.size < 2000) {
      if (child.exitCode !== null) throw new Error(`receiver exited with ${child.exitCode} before it was killed`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill('SIGKILL');
    killed = true;
    const exited =
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => child!.once('exit', resolve));
    await Promise.all(senders);
    await exited;

    restarted = await startReceiver({ dataDir, httpPort: 0, grpcPort: -1 });
    await restarted.flush(30_000);
    const rows = await queryRows<{ span_id: string; copies: string }>(
      restarted,
      'SELECT span_id, count() AS copies FROM spans FINAL WHERE trace_id = {t:String} GROUP BY span_id',
      { t: traceId },
    );
    const stored = new Set(rows.map((row) => row.span_id));
    const missing = [...acknowledged].filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    expect(rows.filter((row) => Number(row.copies) !== 1)).toEqual([]);
    expect(stored.size).toBeGreaterThanOrEqual(acknowledged.size);
  });
});
