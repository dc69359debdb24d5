/**
 * A receiver whose write-ahead log sits on a full disk: it must start, serve reads, answer exports with 503
 * (not acknowledge what it cannot make durable), and take exports again once space is freed. The log's
 * directory is a real, tiny tmpfs, which needs root; without it the test is skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { queryRows, startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';

const dataDir = temporaryDirectory();
const walDirectory = join(dataDir, 'wal');
mkdirSync(walDirectory);
const canMount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', walDirectory]).status === 0;
let receiver: Receiver | undefined;

afterAll(async () => {
  await receiver?.close();
  if (canMount) spawnSync('umount', ['-l', walDirectory]);
});

const traceId = '0123456789abcdef0123456789abcdef';

function exportRequest(spanId: string): RequestInit {
  const span = {
    traceId,
    spanId,
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000500000000',
    attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }],
  };
  return {
    method: 'POST',
    body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }),
    headers: { 'Content-Type': 'application/json' },
  };
}

describe('receiver with its write-ahead log on a full disk', () => {
  it.skipIf(!canMount)(
    'starts, serves reads, refuses exports with 503, and accepts them once space is freed',
    async () => {
      const filler = join(walDirectory, 'filler');
      const { bavail, bsize } = await statfs(walDirectory);
      writeFileSync(filler, Buffer.alloc(bavail * bsize));
      expect((await statfs(walDirectory)).bavail).toBe(0);

      receiver = await startTestReceiver({ dataDir, grpcPort: -1 });
      const listing = await fetch(`${receiver.httpUrl}/v1/trajectories`);
      expect(listing.status).toBe(200);
      const refused = await fetch(`${receiver.httpUrl}/v1/traces`, exportRequest('00000000000000f1'));
      expect(refused.status).toBe(503);
      expect(await refused.text()).not.toContain(walDirectory);
      const health = await fetch(`${receiver.httpUrl}/healthz`);
      expect(health.status).toBe(503);
      const report = (await health.json()) as { status: string; reasons: Array<{ code: string }> };
      expect(report.status).toBe('unavailable');
      expect(report.reasons.map((reason) => reason.code)).toContain('disk_low');

      rmSync(filler);
      await expect
        .poll(async () => (await fetch(`${receiver!.httpUrl}/v1/traces`, exportRequest('00000000000000f2'))).status, {
          timeout: 10_000,
          interval: 200,
        })
        .toBe(200);
      expect((await fetch(`${receiver.httpUrl}/healthz`)).status).toBe(200);
      await receiver.flush(30_000);
      const rows = await queryRows<{ span_id: string }>(
        receiver,
        'SELECT span_id FROM spans FINAL WHERE trace_id = {t:String}',
        { t: traceId },
      );
      expect(rows.map((row) => row.span_id)).toEqual(['00000000000000f2']);
    },
  );
});
