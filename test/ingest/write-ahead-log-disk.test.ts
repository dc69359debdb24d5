/**
 * The write-ahead log and the disk it shares with ClickHouse: stored segments are given back promptly, appends
 * stop while free space is below the reserve (so the store can drain the backlog), and a log on a full disk still
 * opens. Disk-full cases run on a real, tiny tmpfs, which needs root; without it they are skipped.
 */
import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WriteAheadLog, type WalPosition, type WalRecord } from '../../collector/ingest/write-ahead-log.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

function record(bytes: number): WalRecord {
  return { table: 'spans', rows: 1, payload: Buffer.alloc(bytes, 0x61) };
}

function segmentBytesOnDisk(directory: string): number {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.wal'))
    .reduce((total, file) => total + statSync(join(directory, file)).size, 0);
}

async function storeEverything(log: WriteAheadLog): Promise<void> {
  let position: WalPosition = log.checkpoint;
  for (let step = 0; step < 1000; step++) {
    const { records, end, bytes } = await log.read(position, 1 << 20);
    if (records.length === 0 && end.segment === position.segment && end.offset === position.offset) return;
    await log.commit(end, bytes);
    position = end;
  }
  throw new Error('the reader did not stop');
}

const mounted: string[] = [];

/** A fresh tmpfs of `bytes`, or undefined when this process may not mount one. */
function tinyFilesystem(bytes: number): string | undefined {
  const directory = temporaryDirectory('trajectories-tmpfs-');
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', directory]);
  if (result.status !== 0) return undefined;
  mounted.push(directory);
  return directory;
}

const canMount = (() => {
  const probe = tinyFilesystem(64 * 1024);
  return probe !== undefined;
})();

afterAll(() => {
  for (const directory of mounted) spawnSync('umount', ['-l', directory]);
});

/** Fills a filesystem until fewer than `leaveBytes` are free (tmpfs allocates whole pages). */
function fill(directory: string, leaveBytes: number): string {
  const path = join(directory, 'filler');
  const { bavail, bsize } = statFree(directory);
  writeFileSync(path, Buffer.alloc(Math.max(0, bavail * bsize - leaveBytes)));
  return path;
}

function statFree(directory: string): { bavail: number; bsize: number } {
  const output = spawnSync('stat', ['-f', '-c', '%a %S', directory], { encoding: 'utf8' }).stdout.trim().split(' ');
  return { bavail: Number(output[0]), bsize: Number(output[1]) };
}

describe('write-ahead log disk space', () => {
  it('gives back a stored segment once the checkpoint has passed a reclaim threshold, without waiting for rotation', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'none', reclaimBytes: 4096 });
    for (let index = 0; index < 64; index++) await log.append([record(1000)]);
    await storeEverything(log);
    // 64 KiB appended and stored; the default 64 MiB segment would keep all of it until it filled.
    expect(log.pendingBytes).toBe(0);
    await expect.poll(() => segmentBytesOnDisk(directory)).toBeLessThan(4096);
    // Under load the stored prefix is given back too: append, store some, append more.
    for (let round = 0; round < 10; round++) {
      for (let index = 0; index < 8; index++) await log.append([record(1000)]);
      await storeEverything(log);
    }
    await log.append([record(1000)]);
    expect(segmentBytesOnDisk(directory)).toBeLessThan(4096 + 2 * 1013);
    await log.close();

    const reopened = await WriteAheadLog.open(directory, { sync: 'none', reclaimBytes: 4096 });
    expect(reopened.recoveryWarnings).toEqual([]);
    expect(reopened.pendingBytes).toBe(1013);
    await reopened.close();
  });

  it.skipIf(!canMount)(
    'refuses appends while free space is below the reserve and accepts them again once space is freed',
    async () => {
      const disk = tinyFilesystem(4 * 1024 * 1024)!;
      const log = await WriteAheadLog.open(join(disk, 'wal'), {
        sync: 'none',
        minFreeBytes: 1024 * 1024,
        diskCheckMillis: 0,
      });
      await log.append([record(1000)]);
      expect(log.diskSpace.low).toBe(false);
      const filler = fill(disk, 512 * 1024);
      await expect(log.append([record(1000)])).rejects.toThrow(/free.*below the .*reserve/);
      expect(log.diskSpace.low).toBe(true);
      expect(log.diskSpace.freeBytes).toBeLessThan(1024 * 1024);
      expect(log.failure).toBeUndefined();
      rmSync(filler);
      await log.append([record(1000)]);
      expect(log.diskSpace.low).toBe(false);
      expect(log.pendingBytes).toBe(2 * 1013);
      await log.close();
    },
  );

  it.skipIf(!canMount)('opens on a completely full disk after a clean stop and after a crash', async () => {
    const disk = tinyFilesystem(1024 * 1024)!;
    const directory = join(disk, 'wal');
    mkdirSync(directory);
    const log = await WriteAheadLog.open(directory, { sync: 'none', minFreeBytes: 0 });
    await log.append([record(1000), record(1000)]);
    await log.close();
    fill(disk, 0);
    expect(statFree(disk).bavail).toBe(0);

    const reopened = await WriteAheadLog.open(directory, { sync: 'none' });
    expect(reopened.pendingBytes).toBe(2 * 1013);
    expect(reopened.diskSpace.low).toBe(true);
    await expect(reopened.append([record(10)])).rejects.toThrow(/reserve/);
    // The lock still names its owner, though not a byte was free to write a pid file into.
    const lock = join(directory, 'owner.pid');
    expect(lstatSync(lock).isSymbolicLink() ? readlinkSync(lock) : readFileSync(lock, 'utf8')).toBe(
      String(process.pid),
    );
    await storeEverything(reopened);
    expect(reopened.pendingBytes).toBe(0);
    await reopened.close();
  });
});
