/**
 * The write-ahead log that makes an acknowledgement a promise: a request is acked only after its rows are
 * appended here (and fsynced, by default), and the flusher inserts into ClickHouse from this log, so a crash or
 * a ClickHouse outage never loses an acknowledged span. The log is also the ingest queue: the flusher reads
 * records back from disk (the page cache, in practice), which keeps memory flat however far the store lags.
 *
 * Layout: `segment-<seq>.wal` files of records, plus `checkpoint.json` naming the first record not yet stored.
 * Record: [u32 payload length][u32 crc32 of the rest][u8 table][u32 row count][payload]. A torn record at the end
 * of the last segment (power loss mid-write) was never acknowledged and is cut off on open.
 *
 * Appends are group-committed: concurrent requests share one write and one fsync.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

// A record's table is stored as its index here: append new tables, never reorder.
export const walTables = ['spans', 'events', 'contents'] as const;
export type WalTable = (typeof walTables)[number];

export interface WalPosition {
  segment: number;
  offset: number;
}

export interface WalRecord {
  table: WalTable;
  rows: number;
  payload: Buffer;
}

export interface WriteAheadLogOptions {
  /** 'fsync': durable across power loss; 'none': durable across process crashes only (page cache). @default 'fsync' */
  sync?: 'fsync' | 'none';
  /** @default 64 MiB */
  segmentBytes?: number;
}

const headerBytes = 13;

function segmentName(segment: number): string {
  return `segment-${segment.toString().padStart(12, '0')}.wal`;
}

function recordChecksum(header: Buffer, payload: Buffer): number {
  return crc32(payload, crc32(header.subarray(8, headerBytes)));
}

interface PendingAppend {
  buffers: Buffer[];
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class WriteAheadLog {
  private readonly directory: string;
  private readonly sync: 'fsync' | 'none';
  private readonly segmentBytes: number;
  private writer: FileHandle | undefined;
  private writeSegment = 0;
  private writeOffset = 0;
  private queue: PendingAppend[] = [];
  private writing = false;
  private broken: Error | undefined;
  private checkpointPosition: WalPosition = { segment: 1, offset: 0 };
  private unstoredBytes = 0;
  private readonly segmentSizes = new Map<number, number>();
  private readonly appendListeners = new Set<() => void>();
  /** Problems found while opening the log that lost data (damaged older segments), for the operator. */
  readonly recoveryWarnings: string[] = [];

  private constructor(directory: string, options: WriteAheadLogOptions) {
    this.directory = directory;
    this.sync = options.sync ?? 'fsync';
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
  }

  static async open(directory: string, options: WriteAheadLogOptions = {}): Promise<WriteAheadLog> {
    mkdirSync(directory, { recursive: true });
    takeOwnership(directory);
    const log = new WriteAheadLog(directory, options);
    await log.recover();
    return log;
  }

  /** Bytes appended but not yet committed as stored. */
  get pendingBytes(): number {
    return this.unstoredBytes;
  }

  get checkpoint(): WalPosition {
    return { ...this.checkpointPosition };
  }

  /** Set when a write failed and could not be undone: no further appends are accepted until restart. */
  get failure(): Error | undefined {
    return this.broken;
  }

  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private async recover(): Promise<void> {
    try {
      const text = await readFile(join(this.directory, 'checkpoint.json'), 'utf8');
      const parsed = JSON.parse(text) as WalPosition;
      if (Number.isInteger(parsed.segment) && Number.isInteger(parsed.offset)) this.checkpointPosition = parsed;
    } catch {
      // No checkpoint yet: everything in the log is unstored.
    }
    const segments = readdirSync(this.directory)
      .map((file) => /^segment-(\d+)\.wal$/.exec(file)?.[1])
      .filter((match): match is string => match !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const segment of segments) {
      if (segment < this.checkpointPosition.segment) {
        await rm(join(this.directory, segmentName(segment)), { force: true });
        continue;
      }
      const handle = await open(join(this.directory, segmentName(segment)), 'r+');
      try {
        const validBytes = await this.validLength(handle);
        const { size } = await handle.stat();
        if (validBytes < size) {
          if (segment === segments.at(-1)) {
            // A torn tail of the last segment is a write that was never acknowledged.
            await handle.truncate(validBytes);
          } else {
            // Damage inside an older segment is not a torn write: keep the file for inspection, say so loudly,
            // and replay what is readable.
            this.recoveryWarnings.push(
              `write-ahead log segment ${segmentName(segment)} is damaged after byte ${validBytes} of ${size}; the records after it cannot be replayed`,
            );
          }
        }
        this.segmentSizes.set(segment, validBytes);
      } finally {
        await handle.close();
      }
    }
    const last = segments.at(-1);
    this.writeSegment = Math.max(last ?? 1, this.checkpointPosition.segment);
    this.writeOffset = this.segmentSizes.get(this.writeSegment) ?? 0;
    this.segmentSizes.set(this.writeSegment, this.writeOffset);
    this.writer = await open(join(this.directory, segmentName(this.writeSegment)), 'a');
    if (this.sync === 'fsync') await this.syncDirectory();
    for (const [segment, size] of this.segmentSizes) {
      if (segment === this.checkpointPosition.segment)
        this.unstoredBytes += Math.max(0, size - this.checkpointPosition.offset);
      else if (segment > this.checkpointPosition.segment) this.unstoredBytes += size;
    }
  }

  /** Length of the prefix of a segment made of whole records with valid checksums. */
  private async validLength(handle: FileHandle): Promise<number> {
    const { size } = await handle.stat();
    const content = Buffer.allocUnsafe(size);
    await handle.read(content, 0, size, 0);
    let offset = 0;
    while (offset + headerBytes <= size) {
      const length = content.readUInt32LE(offset);
      const end = offset + headerBytes + length;
      if (end > size) break;
      const header = content.subarray(offset, offset + headerBytes);
      if (recordChecksum(header, content.subarray(offset + headerBytes, end)) !== content.readUInt32LE(offset + 4))
        break;
      offset = end;
    }
    return offset;
  }

  /**
   * Appends records as one unit of acknowledgement: resolves once all are written (and fsynced when sync is
   * 'fsync'); a failed write rejects and leaves none of them in the log.
   */
  append(records: WalRecord[]): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    const buffers: Buffer[] = [];
    let bytes = 0;
    for (const record of records) {
      const header = Buffer.allocUnsafe(headerBytes);
      header.writeUInt32LE(record.payload.length, 0);
      header.writeUInt8(walTables.indexOf(record.table), 8);
      header.writeUInt32LE(record.rows, 9);
      header.writeUInt32LE(recordChecksum(header, record.payload), 4);
      buffers.push(header, record.payload);
      bytes += headerBytes + record.payload.length;
    }
    return this.enqueue(buffers, bytes);
  }

  private enqueue(buffers: Buffer[], bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ buffers, bytes, resolve, reject });
      if (!this.writing) void this.writeQueued();
    });
  }

  private async writeQueued(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        if (this.broken) {
          for (const append of group) append.reject(this.broken);
          continue;
        }
        try {
          await this.writeGroup(group);
        } catch (error) {
          // Opening the next segment failed (no inodes, too many open files) or the log was closed: these
          // appends are not durable, so they are refused; later ones try again.
          const failure = new Error(`write-ahead log write failed: ${(error as Error).message}`, { cause: error });
          for (const append of group) append.reject(failure);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    if (this.writeOffset >= this.segmentBytes) await this.rotate();
    const writer = this.writer;
    if (!writer) throw new Error('write-ahead log is closed');
    const buffers = group.flatMap((append) => append.buffers);
    const bytes = group.reduce((sum, append) => sum + append.bytes, 0);
    try {
      let written = 0;
      while (written < bytes) {
        const { bytesWritten } = await writer.writev(written === 0 ? buffers : remainingBuffers(buffers, written));
        written += bytesWritten;
      }
      if (this.sync === 'fsync') await writer.datasync();
    } catch (error) {
      const failure = new Error(`write-ahead log write failed: ${(error as Error).message}`, { cause: error });
      try {
        // Undo the partial write so later records do not follow a torn one.
        await writer.truncate(this.writeOffset);
      } catch {
        this.broken = failure;
      }
      for (const append of group) append.reject(failure);
      return;
    }
    this.writeOffset += bytes;
    this.segmentSizes.set(this.writeSegment, this.writeOffset);
    this.unstoredBytes += bytes;
    for (const append of group) append.resolve();
    for (const listener of this.appendListeners) listener();
  }

  private async rotate(): Promise<void> {
    // Open the next segment first: if that fails, the current one stays in place and usable.
    const next = await open(join(this.directory, segmentName(this.writeSegment + 1)), 'a');
    if (this.sync === 'fsync') await this.syncDirectory();
    const previous = this.writer;
    this.writer = next;
    this.writeSegment += 1;
    this.writeOffset = 0;
    this.segmentSizes.set(this.writeSegment, 0);
    await previous?.close();
  }

  /** Makes a new directory entry (segment, checkpoint) durable: fsync of the file alone does not promise it. */
  private async syncDirectory(): Promise<void> {
    const directory = await open(this.directory, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  /**
   * Reads whole records from `from` on, up to about `maxBytes` (at least one record), stopping at the end of what
   * has been durably written. Returns the position after the last record read.
   */
  async read(from: WalPosition, maxBytes: number): Promise<{ records: WalRecord[]; end: WalPosition; bytes: number }> {
    let position = { ...from };
    // Skip to the next segment when this one is finished.
    while (position.segment < this.writeSegment && position.offset >= (this.segmentSizes.get(position.segment) ?? 0)) {
      position = { segment: position.segment + 1, offset: 0 };
    }
    const segmentSize = this.segmentSizes.get(position.segment) ?? 0;
    const available = segmentSize - position.offset;
    if (available <= 0) return { records: [], end: position, bytes: 0 };
    const handle = await open(join(this.directory, segmentName(position.segment)), 'r');
    try {
      let length = Math.min(available, maxBytes);
      let chunk = Buffer.allocUnsafe(length);
      await readFully(handle, chunk, position.offset);
      if (length >= headerBytes) {
        const firstRecordBytes = headerBytes + chunk.readUInt32LE(0);
        if (firstRecordBytes > length && firstRecordBytes <= available) {
          length = firstRecordBytes;
          chunk = Buffer.allocUnsafe(length);
          await readFully(handle, chunk, position.offset);
        }
      }
      const records: WalRecord[] = [];
      let offset = 0;
      while (offset + headerBytes <= length) {
        const payloadLength = chunk.readUInt32LE(offset);
        const end = offset + headerBytes + payloadLength;
        if (end > length) break;
        records.push({
          table: walTables[chunk.readUInt8(offset + 8)] ?? 'spans',
          rows: chunk.readUInt32LE(offset + 9),
          payload: chunk.subarray(offset + headerBytes, end),
        });
        offset = end;
      }
      return { records, end: { segment: position.segment, offset: position.offset + offset }, bytes: offset };
    } finally {
      await handle.close();
    }
  }

  /** Marks everything before `position` as stored: later opens start there, and older segments are deleted. */
  async commit(position: WalPosition, bytes: number): Promise<void> {
    const temporary = join(this.directory, 'checkpoint.json.tmp');
    await writeFile(temporary, JSON.stringify(position));
    await rename(temporary, join(this.directory, 'checkpoint.json'));
    // A lost checkpoint only means replaying stored records (which dedupe), so it is not fsynced.
    this.checkpointPosition = { ...position };
    this.unstoredBytes = Math.max(0, this.unstoredBytes - bytes);
    for (const segment of [...this.segmentSizes.keys()]) {
      if (segment < position.segment) {
        this.segmentSizes.delete(segment);
        await rm(join(this.directory, segmentName(segment)), { force: true });
      }
    }
  }

  async close(): Promise<void> {
    while (this.writing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.writer?.close();
    this.writer = undefined;
    rmSync(join(this.directory, lockFileName), { force: true });
  }
}

const lockFileName = 'owner.pid';

/**
 * One process per log: two receivers appending to the same segments would corrupt each other's records. With
 * embedded ClickHouse the store's own lock already says so; with a ClickHouse server only this file does. A lock
 * left by a process that no longer runs (kill -9) is taken over.
 */
function takeOwnership(directory: string): void {
  const path = join(directory, lockFileName);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processIsAlive(owner)) {
      throw new Error(
        `the write-ahead log in ${directory} belongs to another running receiver (pid ${owner}): stop it or pass another --data-dir`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new Error(`cannot take ownership of the write-ahead log in ${directory}`);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let read = 0;
  while (read < buffer.length) {
    const { bytesRead } = await handle.read(buffer, read, buffer.length - read, position + read);
    if (bytesRead === 0) throw new Error('write-ahead log segment is shorter than recorded');
    read += bytesRead;
  }
}

function remainingBuffers(buffers: Buffer[], skip: number): Buffer[] {
  const result: Buffer[] = [];
  let remaining = skip;
  for (const buffer of buffers) {
    if (remaining >= buffer.length) {
      remaining -= buffer.length;
      continue;
    }
    result.push(remaining > 0 ? buffer.subarray(remaining) : buffer);
    remaining = 0;
  }
  return result;
}
