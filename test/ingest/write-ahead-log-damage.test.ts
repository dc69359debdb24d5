/**
 * A damaged write-ahead log: a checkpoint that no longer matches its segments, a corrupted record in the middle of
 * a segment, damage appearing while the log is open. The log must realign, skip exactly the damaged bytes, say so,
 * and never leave the reader stalled on a bad record.
 */
import { closeSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteAheadLog, type WalPosition, type WalRecord } from '../../collector/ingest/write-ahead-log.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const headerBytes = 13;

function record(text: string, rows = 1): WalRecord {
  return { table: 'spans', rows, payload: Buffer.from(text) };
}

function segmentFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.wal'))
    .sort();
}

/** Overwrites a record's length field, as a failing disk would. */
function writeLength(path: string, recordStart: number, length: number): void {
  const field = Buffer.alloc(4);
  field.writeUInt32LE(length, 0);
  const descriptor = openSync(path, 'r+');
  writeSync(descriptor, field, 0, 4, recordStart);
  closeSync(descriptor);
}

/** Overwrites one byte of a file in place, as a failing disk would. */
function flipByte(path: string, offset: number): void {
  const byte = readFileSync(path).subarray(offset, offset + 1);
  const descriptor = openSync(path, 'r+');
  writeSync(descriptor, Buffer.from([byte[0]! ^ 0xff]), 0, 1, offset);
  closeSync(descriptor);
}

/**
 * Reads and commits like the store writer does until the reader stops moving, with a bound so that a reader that
 * spins fails the test instead of hanging it.
 */
async function drain(log: WriteAheadLog, maxBytes = 1 << 20): Promise<string[]> {
  const seen: string[] = [];
  let position: WalPosition = log.checkpoint;
  for (let step = 0; step < 1000; step++) {
    const { records, end, bytes } = await log.read(position, maxBytes);
    if (records.length === 0 && end.segment === position.segment && end.offset === position.offset) return seen;
    seen.push(...records.map((entry) => entry.payload.toString()));
    await log.commit(end, bytes);
    position = end;
  }
  throw new Error(`the reader did not stop after 1000 reads; it saw ${seen.length} records`);
}

describe('write-ahead log checkpoint validation on open', () => {
  it('moves a checkpoint past the valid end of a truncated segment to that end, so new records are read', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'none' });
    await log.append([record('stored-1'), record('stored-2')]);
    expect(await drain(log)).toEqual(['stored-1', 'stored-2']);
    await log.close();
    const segment = join(directory, segmentFiles(directory)[0]!);
    truncateSync(segment, statSync(segment).size - 3);

    const reopened = await WriteAheadLog.open(directory, { sync: 'none' });
    const validEnd = headerBytes + 'stored-1'.length;
    expect(reopened.checkpoint.offset).toBe(validEnd);
    expect(reopened.recoveryWarnings.join('\n')).toMatch(/checkpoint .*past the valid end/);
    await reopened.append([record('after-restart-1'), record('after-restart-2')]);
    expect(await drain(reopened)).toEqual(['after-restart-1', 'after-restart-2']);
    expect(reopened.pendingBytes).toBe(0);
    await reopened.close();

    // The realigned checkpoint was written, so a later open does not skip the records appended after it.
    const again = await WriteAheadLog.open(directory, { sync: 'none' });
    expect(again.recoveryWarnings).toEqual([]);
    expect(await drain(again)).toEqual([]);
    await again.close();
  });

  it('moves a checkpoint that is not on a record boundary to the next boundary', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'none' });
    await log.append([record('first'), record('second'), record('third')]);
    await log.close();
    const secondStart = headerBytes + 'first'.length;
    const thirdStart = secondStart + headerBytes + 'second'.length;
    writeCheckpoint(directory, { segment: 1, offset: secondStart + 4 });

    const reopened = await WriteAheadLog.open(directory, { sync: 'none' });
    expect(reopened.checkpoint).toEqual({ segment: 1, offset: thirdStart });
    expect(reopened.recoveryWarnings.join('\n')).toMatch(/not on a record boundary/);
    expect(await drain(reopened)).toEqual(['third']);
    await reopened.close();
  });

  it('moves a checkpoint naming a missing segment to the first existing one', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'none', segmentBytes: 32 });
    for (const text of ['one'.padEnd(30, '.'), 'two'.padEnd(30, '.'), 'three'.padEnd(30, '.')]) {
      await log.append([record(text)]);
    }
    await log.close();
    expect(segmentFiles(directory)).toHaveLength(3);
    writeCheckpoint(directory, { segment: 9, offset: 5 });

    const reopened = await WriteAheadLog.open(directory, { sync: 'none', segmentBytes: 32 });
    expect(reopened.checkpoint).toEqual({ segment: 1, offset: 0 });
    expect(reopened.recoveryWarnings.join('\n')).toMatch(/segment-000000000009\.wal.*does not exist/);
    expect((await drain(reopened)).map((text) => text.replace(/\.+$/, ''))).toEqual(['one', 'two', 'three']);
    await reopened.close();
  });
});

describe('write-ahead log damage inside a segment', () => {
  it('skips a corrupted record in the middle of the newest segment and keeps every record after it', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'none' });
    const texts = Array.from({ length: 20 }, (_, index) => `record-${index}`.padEnd(50, 'x'));
    for (const text of texts) await log.append([record(text, 3)]);
    await log.close();
    const recordBytes = headerBytes + 50;
    const segment = join(directory, segmentFiles(directory)[0]!);
    flipByte(segment, 7 * recordBytes + headerBytes + 10);

    const reopened = await WriteAheadLog.open(directory, { sync: 'none' });
    const warnings = reopened.recoveryWarnings.join('\n');
    expect(warnings).toContain('segment-000000000001.wal');
    expect(warnings).toContain(`offset ${7 * recordBytes}`);
    expect(warnings).toContain(`${recordBytes} bytes`);
    expect(warnings).toContain('3 rows');
    expect(reopened.damage).toEqual({ regionsSkipped: 1, bytesSkipped: recordBytes });
    expect(await drain(reopened)).toEqual(texts.filter((_, index) => index !== 7));
    // Appends continue after the last whole record, not after the damage.
    await reopened.append([record('appended')]);
    expect(await drain(reopened)).toEqual(['appended']);
    await reopened.close();
  });

  it('resynchronises after a corrupted length field, which hides where the next record starts', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'none' });
    await log.append([record('alpha'), record('bravo'), record('charlie')]);
    await log.close();
    const segment = join(directory, segmentFiles(directory)[0]!);
    flipByte(segment, headerBytes + 'alpha'.length + 1);

    const reopened = await WriteAheadLog.open(directory, { sync: 'none' });
    expect(await drain(reopened)).toEqual(['alpha', 'charlie']);
    expect(reopened.damage.regionsSkipped).toBe(1);
    await reopened.close();
  });

  it('counts a whole last record that fails its crc as damage, keeps it, and appends after it', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'none' });
    await log.append([record('first'), record('second', 4)]);
    await log.close();
    const segment = join(directory, segmentFiles(directory)[0]!);
    const size = statSync(segment).size;
    // The length leads exactly to the end of the file: a record written whole (after a clean stop), then damaged.
    flipByte(segment, size - 1);

    const reopened = await WriteAheadLog.open(directory, { sync: 'none' });
    const secondStart = headerBytes + 'first'.length;
    const secondBytes = headerBytes + 'second'.length;
    const warnings = reopened.recoveryWarnings.join('\n');
    expect(warnings).toContain('segment-000000000001.wal');
    expect(warnings).toContain(`offset ${secondStart}`);
    expect(warnings).toContain(`${secondBytes} bytes`);
    expect(warnings).toContain('4 rows');
    expect(reopened.damage).toEqual({ regionsSkipped: 1, bytesSkipped: secondBytes });
    expect(statSync(segment).size).toBe(size);
    expect(await drain(reopened)).toEqual(['first']);
    await reopened.append([record('third')]);
    expect(await drain(reopened)).toEqual(['third']);
    expect(reopened.pendingBytes).toBe(0);
    await reopened.close();

    // Read past once, the damage is not reported again.
    const again = await WriteAheadLog.open(directory, { sync: 'none' });
    expect(again.recoveryWarnings).toEqual([]);
    expect(again.damage.regionsSkipped).toBe(0);
    await again.close();
  });

  it('cuts a record cut short at the very end as a torn write, saying how many bytes and that it was never acknowledged', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'fsync' });
    await log.append([record('first'), record('second')]);
    await log.close();
    const segment = join(directory, segmentFiles(directory)[0]!);
    truncateSync(segment, statSync(segment).size - 3);

    const reopened = await WriteAheadLog.open(directory, { sync: 'fsync' });
    const secondStart = headerBytes + 'first'.length;
    const tornBytes = headerBytes + 'second'.length - 3;
    expect(reopened.recoveryWarnings).toHaveLength(1);
    expect(reopened.recoveryWarnings[0]).toContain('segment-000000000001.wal');
    expect(reopened.recoveryWarnings[0]).toContain(`torn write of ${tornBytes} bytes at offset ${secondStart}`);
    expect(reopened.recoveryWarnings[0]).toContain('never acknowledged');
    expect(reopened.damage).toEqual({ regionsSkipped: 0, bytesSkipped: 0 });
    expect(statSync(segment).size).toBe(secondStart);
    expect(await drain(reopened)).toEqual(['first']);
    await reopened.close();
  });

  it('skips a corrupted record in an older segment and reads on into the newer ones', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'none', segmentBytes: 100 });
    const texts = Array.from({ length: 12 }, (_, index) => `r${index}`.padEnd(20, '-'));
    for (const text of texts) await log.append([record(text)]);
    await log.close();
    const first = join(directory, segmentFiles(directory)[0]!);
    flipByte(first, headerBytes + 20 + headerBytes + 5);

    const reopened = await WriteAheadLog.open(directory, { sync: 'none', segmentBytes: 100 });
    expect(reopened.recoveryWarnings.join('\n')).toContain('segment-000000000001.wal');
    expect(await drain(reopened)).toEqual(texts.filter((_, index) => index !== 1));
    expect(reopened.pendingBytes).toBe(0);
    await reopened.close();
  });

  it('skips a record damaged while the log is open instead of stalling the reader on it', async () => {
    const directory = temporaryDirectory();
    const warnings: string[] = [];
    const log = await WriteAheadLog.open(directory, { sync: 'none', onWarning: (message) => warnings.push(message) });
    await log.append([record('before'), record('damaged'), record('after')]);
    const segment = join(directory, segmentFiles(directory)[0]!);
    // The length field of the middle record now points far past the end of the segment.
    flipByte(segment, headerBytes + 'before'.length + 2);
    expect(await drain(log)).toEqual(['before', 'after']);
    expect(warnings.join('\n')).toMatch(/segment-000000000001\.wal.*offset 19/);
    expect(log.damage.regionsSkipped).toBe(1);
    expect(log.pendingBytes).toBe(0);
    await log.close();
  });
});

describe('write-ahead log damage larger than one read', () => {
  const texts = Array.from({ length: 50 }, (_, index) => `record-${index}`.padEnd(100, 'x'));
  const maxBytes = 1024;
  // Inside the segment (50 records of 113 bytes) but past maxBytes, so a read must take it whole to check it.
  const damagedLength = 2000;

  it('skips a record whose damaged length ends past maxBytes, found on open, instead of stalling on it', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { sync: 'none' });
    await log.append(texts.map((text) => record(text)));
    await log.close();
    writeLength(join(directory, segmentFiles(directory)[0]!), 0, damagedLength);

    const reopened = await WriteAheadLog.open(directory, { sync: 'none' });
    expect(reopened.recoveryWarnings.join('\n')).toMatch(/segment-000000000001\.wal.*offset 0: 113 bytes/);
    expect(await drain(reopened, maxBytes)).toEqual(texts.slice(1));
    expect(reopened.damage).toEqual({ regionsSkipped: 1, bytesSkipped: headerBytes + 100 });
    expect(reopened.pendingBytes).toBe(0);
    await reopened.close();
  });

  it('skips a record whose length is damaged while the log is open to end past maxBytes, and reports it', async () => {
    const directory = temporaryDirectory();
    const warnings: string[] = [];
    const log = await WriteAheadLog.open(directory, { sync: 'none', onWarning: (message) => warnings.push(message) });
    await log.append(texts.map((text) => record(text)));
    writeLength(join(directory, segmentFiles(directory)[0]!), 0, damagedLength);

    expect(await drain(log, maxBytes)).toEqual(texts.slice(1));
    expect(warnings.join('\n')).toMatch(/segment-000000000001\.wal.*offset 0: 113 bytes/);
    expect(log.damage).toEqual({ regionsSkipped: 1, bytesSkipped: headerBytes + 100 });
    expect(log.pendingBytes).toBe(0);
    await log.close();
  });
});

function writeCheckpoint(directory: string, position: WalPosition): void {
  const descriptor = openSync(join(directory, 'checkpoint.json'), 'w');
  writeSync(descriptor, JSON.stringify(position));
  closeSync(descriptor);
}
