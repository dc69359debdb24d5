/**
 * The write-ahead log that makes an acknowledgement a promise: a request is acked only after its rows are
 * appended here (and fsynced, by default), and the flusher inserts into ClickHouse from this log, so a crash or
 * a ClickHouse outage never loses an acknowledged span. The log is also the ingest queue: the flusher reads
 * records back from disk (the page cache, in practice), which keeps memory flat however far the store lags.
 *
 * Layout: `segment-<seq>.wal` files of records (format and damage scanning in wal-record-format.ts), plus
 * `checkpoint.json` naming the first record not yet stored.
 *
 * Damage: a record cut short (its length runs past the end of the file) at the very end of the newest segment is
 * a torn write (a crash mid-write), never acknowledged: it is cut off on open, with a warning giving its bytes.
 * Any other bad record is corruption of acknowledged data, at the end of a segment as anywhere else: it is
 * skipped, the records after it are kept, and the loss is counted (`damage`) and reported loudly (segment,
 * offset, bytes, rows). On open the checkpoint is checked against the segments and realigned onto a record
 * boundary, so the reader never starts mid-record; while running, the reader resynchronises past a bad record,
 * however long its damaged length claims it is, instead of stalling on it.
 *
 * Disk space: appends are refused while free space is below a reserve (disk-space-reserve.ts), and a segment's
 * stored prefix is given back by rotating to a new segment once the checkpoint is `reclaimBytes` into the current
 * one (Node cannot punch holes, and deleting a whole file is what frees space on every filesystem). Opening needs
 * no free space, so a receiver on a full disk still comes up and serves reads.
 *
 * Appends are group-committed: concurrent requests share one write and one fsync.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DiskSpaceReserve, type DiskSpace } from './disk-space-reserve.ts';
import {
  damagedRange,
  decodeRecord,
  describeRows,
  encodeRecordHeader,
  nextValidRecord,
  recordAt,
  recordHeaderBytes,
  scanSegment,
  type DamagedRange,
  type WalRecord,
} from './wal-record-format.ts';
import { releaseOwnership, takeOwnership } from './wal-owner-lock.ts';

export { walTables, type WalRecord, type WalTable } from './wal-record-format.ts';
export type { DiskSpace } from './disk-space-reserve.ts';

export interface WalPosition {
  segment: number;
  offset: number;
}

export interface WriteAheadLogOptions {
  /** 'fsync': durable across power loss; 'none': durable across process crashes only (page cache). @default 'fsync' */
  sync?: 'fsync' | 'none';
  /** @default 64 MiB */
  segmentBytes?: number;
  /**
   * Rotate to a new segment once this many bytes of the current one are stored, so the stored prefix is deleted
   * instead of kept until the segment fills: bounds stored bytes on disk to about this plus one batch, at one
   * rotation (a file creation and a directory fsync) per this many bytes appended. @default 8 MiB
   */
  reclaimBytes?: number;
  /** Appends are refused while less than this is free on the log's filesystem. @default 256 MiB or 5% of it */
  minFreeBytes?: number;
  /** How often free space is asked of the filesystem (estimated from appends in between). @default 1000 */
  diskCheckMillis?: number;
  /** Damage found while running (after open, whose problems are in `recoveryWarnings`). @default console.error */
  onWarning?: (message: string) => void;
}

/** Damaged log bytes the reader skipped (or will skip) since open: each region is one or more lost records. */
export interface WalDamage {
  regionsSkipped: number;
  bytesSkipped: number;
}

const checkpointSchema = z.object({ segment: z.number().int().positive(), offset: z.number().int().nonnegative() });

function segmentName(segment: number): string {
  return `segment-${segment.toString().padStart(12, '0')}.wal`;
}

function isBefore(a: WalPosition, b: WalPosition): boolean {
  return a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);
}

function isOutOfSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
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
  private readonly reclaimBytes: number;
  private readonly disk: DiskSpaceReserve;
  private readonly onWarning: (message: string) => void;
  private writer: FileHandle | undefined;
  private writeSegment = 0;
  private writeOffset = 0;
  private queue: PendingAppend[] = [];
  private writing = false;
  private broken: Error | undefined;
  private checkpointPosition: WalPosition = { segment: 1, offset: 0 };
  /** Open moved the checkpoint but could not save it: appends wait, or a restart would read from the old one. */
  private checkpointUnsaved = false;
  private checkpointWriteOutOfSpace = false;
  private commits: Promise<void> = Promise.resolve();
  private unstoredBytes = 0;
  private readonly segmentSizes = new Map<number, number>();
  /** Damage found on open, by segment and start offset: the reader skips it without reporting it again. */
  private readonly knownDamage = new Map<number, Map<number, DamagedRange>>();
  private readonly damageSkipped: WalDamage = { regionsSkipped: 0, bytesSkipped: 0 };
  private readonly appendListeners = new Set<() => void>();
  /** What opening the log found and did (damage skipped, checkpoint realigned), for the operator. */
  readonly recoveryWarnings: string[] = [];

  private constructor(directory: string, options: WriteAheadLogOptions) {
    this.directory = directory;
    this.sync = options.sync ?? 'fsync';
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.reclaimBytes = options.reclaimBytes ?? 8 * 1024 * 1024;
    this.disk = new DiskSpaceReserve(directory, {
      reserveBytes: options.minFreeBytes,
      checkMillis: options.diskCheckMillis,
    });
    this.onWarning = options.onWarning ?? ((message) => console.error(`[trajectories] ${message}`));
  }

  static async open(directory: string, options: WriteAheadLogOptions = {}): Promise<WriteAheadLog> {
    mkdirSync(directory, { recursive: true });
    takeOwnership(directory);
    const log = new WriteAheadLog(directory, options);
    try {
      await log.recover();
      await log.disk.refresh();
    } catch (error) {
      await log.writer?.close();
      releaseOwnership(directory);
      throw error;
    }
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

  /** Free space against the reserve; `low` means appends are being refused. */
  get diskSpace(): DiskSpace {
    this.disk.refreshIfStale();
    return this.disk.state;
  }

  /** Damaged records skipped since open (found on open or while reading): acknowledged rows that were lost. */
  get damage(): WalDamage {
    return { ...this.damageSkipped };
  }

  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private async readCheckpoint(): Promise<WalPosition | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.directory, 'checkpoint.json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let parsed: ReturnType<typeof checkpointSchema.safeParse> | undefined;
    try {
      parsed = checkpointSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) return parsed.data;
    this.recoveryWarnings.push(
      `write-ahead log checkpoint.json is unreadable (${JSON.stringify(text.slice(0, 80))}): reading from the oldest segment (records already stored are deduplicated)`,
    );
    return undefined;
  }

  private async recover(): Promise<void> {
    const saved = await this.readCheckpoint();
    const segments = readdirSync(this.directory)
      .map((file) => /^segment-(\d+)\.wal$/.exec(file)?.[1])
      .filter((match): match is string => match !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const realignments: string[] = [];
    let checkpoint = saved ?? { segment: segments[0] ?? 1, offset: 0 };
    const first = segments[0];
    if (first !== undefined && !segments.includes(checkpoint.segment)) {
      const next = segments.find((segment) => segment > checkpoint.segment);
      realignments.push(
        next === undefined
          ? `the checkpoint names ${segmentName(checkpoint.segment)}, which does not exist and is past every segment: moved to the oldest, ${segmentName(first)} (records already stored are deduplicated)`
          : `the checkpoint names ${segmentName(checkpoint.segment)}, which does not exist: moved to the next segment, ${segmentName(next)}`,
      );
      checkpoint = { segment: next ?? first, offset: 0 };
    }
    const kept = segments.filter((segment) => segment >= checkpoint.segment);
    for (const segment of segments) {
      if (segment < checkpoint.segment) await rm(join(this.directory, segmentName(segment)), { force: true });
    }
    let checkpointSegmentEnd = 0;
    for (const segment of kept) {
      const path = join(this.directory, segmentName(segment));
      const content = await readFile(path);
      const isCheckpointSegment = segment === checkpoint.segment;
      const scan = scanSegment(content, isCheckpointSegment ? checkpoint.offset : 0);
      if (isCheckpointSegment) {
        checkpointSegmentEnd = scan.keptEnd;
        if (checkpoint.offset > scan.keptEnd) {
          realignments.push(
            `the checkpoint (${segmentName(segment)} offset ${checkpoint.offset}) is past the valid end of its segment (${scan.keptEnd} bytes): moved to that end`,
          );
          checkpoint = { segment, offset: scan.keptEnd };
        } else if (scan.aligned !== checkpoint.offset) {
          realignments.push(
            `the checkpoint (${segmentName(segment)} offset ${checkpoint.offset}) is not on a record boundary: moved to the next one, offset ${scan.aligned}`,
          );
          checkpoint = { segment, offset: scan.aligned };
        }
      }
      const from = isCheckpointSegment ? checkpoint.offset : 0;
      for (const range of scan.damaged) {
        if (range.start < from) continue;
        const known = this.knownDamage.get(segment) ?? new Map<number, DamagedRange>();
        known.set(range.start, range);
        this.knownDamage.set(segment, known);
        this.recoveryWarnings.push(
          this.countDamage(
            segment,
            range,
            range.end === content.length
              ? 'it is the last record of the segment, whole in length but failing its crc'
              : 'the records after them are kept',
          ),
        );
      }
      if (scan.tornBytes > 0) {
        if (segment === kept.at(-1)) {
          const handle = await open(path, 'r+');
          try {
            await handle.truncate(scan.keptEnd);
          } finally {
            await handle.close();
          }
          this.recoveryWarnings.push(this.describeTornWrite(segment, scan.keptEnd, scan.tornBytes));
        } else if (scan.keptEnd >= from) {
          // An older segment was whole when the log rotated past it: a record cut short there is damage, kept for
          // inspection.
          const range = { start: scan.keptEnd, end: content.length };
          this.recoveryWarnings.push(this.countDamage(segment, range, 'they are the rest of the segment'));
        }
      }
      this.segmentSizes.set(segment, scan.keptEnd);
    }
    if (checkpoint.offset > checkpointSegmentEnd) {
      // No segment file at all: an offset into nothing.
      realignments.push(
        `the checkpoint (${segmentName(checkpoint.segment)} offset ${checkpoint.offset}) is past the end of an empty log: moved to offset 0`,
      );
      checkpoint = { segment: checkpoint.segment, offset: 0 };
    }
    this.checkpointPosition = checkpoint;
    if (realignments.length > 0) {
      for (const message of realignments) this.recoveryWarnings.push(`write-ahead log: ${message}`);
      try {
        await this.writeCheckpoint(checkpoint);
      } catch {
        // A full disk: the first append saves it first (and is refused if it still cannot).
        this.checkpointUnsaved = true;
      }
    }
    this.writeSegment = Math.max(kept.at(-1) ?? checkpoint.segment, checkpoint.segment);
    this.writeOffset = this.segmentSizes.get(this.writeSegment) ?? 0;
    this.segmentSizes.set(this.writeSegment, this.writeOffset);
    // Creating an empty segment needs an inode, not free space, so this works on a full disk too.
    this.writer = await open(join(this.directory, segmentName(this.writeSegment)), 'a');
    if (this.sync === 'fsync') await this.syncDirectory();
    this.unstoredBytes = this.bytesAfter(checkpoint);
  }

  /** Counts a damaged range as lost and says what was lost, where. */
  private countDamage(segment: number, range: DamagedRange, where = 'the records after them are kept'): string {
    this.damageSkipped.regionsSkipped += 1;
    this.damageSkipped.bytesSkipped += range.end - range.start;
    return `write-ahead log segment ${segmentName(segment)} in ${this.directory} is damaged at offset ${range.start}: ${range.end - range.start} bytes (${describeRows(range)}) of acknowledged data cannot be read and are skipped; ${where}`;
  }

  /**
   * A record cut short at the end of the newest segment is a write interrupted by a crash: the append it belonged
   * to failed or never finished, so it was never acknowledged, unless sync is 'none', which acknowledges before
   * the bytes reach the disk and so can lose acknowledged records to a power loss.
   */
  private describeTornWrite(segment: number, start: number, bytes: number): string {
    const acknowledged =
      this.sync === 'fsync'
        ? 'it was never acknowledged, so no acknowledged data is lost'
        : "it was never acknowledged unless the machine lost power (sync is 'none', which acknowledges before data reaches the disk)";
    return `write-ahead log segment ${segmentName(segment)} in ${this.directory} ends with a torn write of ${bytes} bytes at offset ${start} (a record cut short, as a crash mid-write leaves it), cut off: ${acknowledged}`;
  }

  private bytesAfter(position: WalPosition): number {
    let bytes = 0;
    for (const [segment, size] of this.segmentSizes) {
      if (segment === position.segment) bytes += Math.max(0, size - position.offset);
      else if (segment > position.segment) bytes += size;
    }
    return bytes;
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
      buffers.push(encodeRecordHeader(record), record.payload);
      bytes += recordHeaderBytes + record.payload.length;
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
          // Opening the next segment failed (no inodes, too many open files), the disk is below its reserve or
          // the log was closed: these appends are not durable, so they are refused; later ones try again.
          const failure = new Error(`write-ahead log write failed: ${(error as Error).message}`, { cause: error });
          for (const append of group) append.reject(failure);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    if (!this.writer) throw new Error('write-ahead log is closed');
    if (this.writeOffset >= this.segmentBytes) await this.rotate();
    else if (this.storedPrefixReclaimable()) await this.rotateToReclaim();
    const writer = this.writer;
    const buffers = group.flatMap((append) => append.buffers);
    const bytes = group.reduce((sum, append) => sum + append.bytes, 0);
    if (bytes > 0) {
      await this.disk.admit(bytes);
      if (this.checkpointUnsaved) {
        await this.writeCheckpoint(this.checkpointPosition);
        this.checkpointUnsaved = false;
      }
    }
    try {
      let written = 0;
      while (written < bytes) {
        const { bytesWritten } = await writer.writev(written === 0 ? buffers : remainingBuffers(buffers, written));
        written += bytesWritten;
      }
      if (bytes > 0 && this.sync === 'fsync') await writer.datasync();
    } catch (error) {
      if (isOutOfSpace(error)) this.disk.ranOut();
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
    this.disk.appended(bytes);
    for (const append of group) append.resolve();
    if (bytes > 0) for (const listener of this.appendListeners) listener();
  }

  private storedPrefixReclaimable(): boolean {
    return this.checkpointPosition.segment === this.writeSegment && this.checkpointPosition.offset >= this.reclaimBytes;
  }

  /**
   * Starts a new segment so the stored prefix of the current one can be deleted: at once when all of it is
   * stored, otherwise when the store writer's checkpoint passes its unstored tail.
   */
  private async rotateToReclaim(): Promise<void> {
    const previous = { segment: this.writeSegment, offset: this.writeOffset };
    try {
      await this.rotate();
    } catch {
      // Reclaiming is an optimisation: the segment keeps filling and rotates when full.
      return;
    }
    if (!isBefore(this.checkpointPosition, previous)) {
      await this.commit({ segment: this.writeSegment, offset: 0 }).catch((error: unknown) =>
        this.onWarning(`write-ahead log: could not move the checkpoint past a stored segment: ${String(error)}`),
      );
    }
  }

  /** Runs a reclaiming rotation through the write queue, which serialises it with appends. */
  private scheduleReclaim(): void {
    if (!this.writer) return;
    this.enqueue([], 0).catch(() => {
      // Closed meanwhile, or rotation failed: nothing to reclaim now.
    });
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
   * has been durably written. Returns the position after the last record read. At a damaged record it returns no
   * records and an `end` past the damage (reported through `onWarning` unless open already did), so committing
   * `end` moves on: `end` equals `from` only when there is nothing more to read.
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
    const known = this.knownDamage.get(position.segment)?.get(position.offset);
    if (known) return { records: [], end: { segment: position.segment, offset: known.end }, bytes: 0 };
    const handle = await open(join(this.directory, segmentName(position.segment)), 'r');
    try {
      let chunk = Buffer.allocUnsafe(Math.min(available, Math.max(maxBytes, recordHeaderBytes)));
      await readFully(handle, chunk, position.offset);
      let first = recordAt(chunk, 0, available);
      if (first === 'incomplete') {
        // One record larger than maxBytes (or a damaged length that still ends inside the segment): read it whole,
        // which is the only way to check its crc.
        chunk = Buffer.allocUnsafe(recordHeaderBytes + chunk.readUInt32LE(0));
        await readFully(handle, chunk, position.offset);
        first = recordAt(chunk, 0, available);
      }
      if (typeof first !== 'number') return await this.skipDamage(handle, position, available);
      const records: WalRecord[] = [];
      let offset = 0;
      for (;;) {
        // A bad record after good ones ends this read; the next read starts at it and skips it.
        const found = recordAt(chunk, offset, available);
        if (typeof found !== 'number') break;
        records.push(decodeRecord(chunk, offset, found));
        offset += found;
      }
      return { records, end: { segment: position.segment, offset: position.offset + offset }, bytes: offset };
    } finally {
      await handle.close();
    }
  }

  private async skipDamage(
    handle: FileHandle,
    position: WalPosition,
    available: number,
  ): Promise<{ records: WalRecord[]; end: WalPosition; bytes: number }> {
    const rest = Buffer.allocUnsafe(available);
    await readFully(handle, rest, position.offset);
    const next = nextValidRecord(rest, 1) ?? available;
    const range = damagedRange(rest, 0, next);
    this.onWarning(
      this.countDamage(position.segment, {
        ...range,
        start: position.offset + range.start,
        end: position.offset + range.end,
      }),
    );
    return { records: [], end: { segment: position.segment, offset: position.offset + next }, bytes: 0 };
  }

  private async writeCheckpoint(position: WalPosition): Promise<void> {
    const temporary = join(this.directory, 'checkpoint.json.tmp');
    await writeFile(temporary, JSON.stringify(position));
    await rename(temporary, join(this.directory, 'checkpoint.json'));
  }

  /**
   * Marks everything before `position` as stored: later opens start there, and older segments are deleted. The
   * pending byte count follows from the position (the second argument, the bytes read, is not needed for it).
   */
  commit(position: WalPosition, _storedBytes?: number): Promise<void> {
    // Commits are serialised: the store writer's and the log's own (after a reclaiming rotation) share the file.
    const committed = this.commits.then(() => this.commitNow(position));
    this.commits = committed.catch(() => {});
    return committed;
  }

  private async commitNow(position: WalPosition): Promise<void> {
    if (isBefore(position, this.checkpointPosition)) return;
    try {
      await this.writeCheckpoint(position);
      this.checkpointUnsaved = false;
      this.checkpointWriteOutOfSpace = false;
    } catch (error) {
      // On a full disk the position still moves (in memory) and stored segments are still deleted, which is what
      // frees space: a lost checkpoint only means a restart replays stored records, which dedupe, and one naming a
      // deleted segment is realigned on open.
      if (!isOutOfSpace(error)) throw error;
      if (!this.checkpointWriteOutOfSpace)
        this.onWarning(
          `write-ahead log: the checkpoint cannot be saved, the disk is full (${(error as Error).message})`,
        );
      this.checkpointWriteOutOfSpace = true;
    }
    // A lost checkpoint only means replaying stored records (which dedupe), so it is not fsynced.
    this.checkpointPosition = { ...position };
    this.unstoredBytes = this.bytesAfter(position);
    for (const segment of [...this.segmentSizes.keys()]) {
      if (segment < position.segment) {
        this.segmentSizes.delete(segment);
        this.knownDamage.delete(segment);
        await rm(join(this.directory, segmentName(segment)), { force: true });
      }
    }
    if (this.storedPrefixReclaimable()) this.scheduleReclaim();
  }

  async close(): Promise<void> {
    while (this.writing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.commits;
    await this.writer?.close();
    this.writer = undefined;
    releaseOwnership(this.directory);
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
