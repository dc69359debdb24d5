/**
 * Free space on the filesystem holding the write-ahead log, kept above a reserve so that ClickHouse (usually on
 * the same disk) can still write the parts that drain the backlog. Without a reserve the log, appending on every
 * request, takes each byte the store frees as soon as it frees it, and the backlog can never drain.
 *
 * statfs is asked at most once per `checkMillis`; in between, the free space is estimated by subtracting what the
 * log appended, so a burst cannot run past the reserve between two checks.
 */
import { statfs } from 'node:fs/promises';

export interface DiskSpace {
  /** True while free space is below the reserve: appends are refused until it recovers. */
  low: boolean;
  /** Free bytes for unprivileged writers at the last check, less what the log appended since; undefined if unknown. */
  freeBytes?: number;
  reserveBytes?: number;
}

/** Default reserve: 256 MiB, or 5% of the filesystem when that is smaller (small volumes, tests). */
export function defaultReserveBytes(filesystemBytes: number): number {
  return Math.min(256 * 1024 * 1024, Math.floor(filesystemBytes * 0.05));
}

export class DiskSpaceReserve {
  private readonly directory: string;
  private readonly checkMillis: number;
  private readonly configuredReserve: number | undefined;
  private reserve: number | undefined;
  private freeAtCheck: number | undefined;
  private appendedSinceCheck = 0;
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(directory: string, options: { reserveBytes?: number; checkMillis?: number }) {
    this.directory = directory;
    this.configuredReserve = options.reserveBytes;
    this.checkMillis = options.checkMillis ?? 1000;
  }

  get state(): DiskSpace {
    const freeBytes = this.freeBytes;
    if (freeBytes === undefined || this.reserve === undefined) return { low: false };
    return { low: freeBytes < this.reserve, freeBytes, reserveBytes: this.reserve };
  }

  private get freeBytes(): number | undefined {
    return this.freeAtCheck === undefined ? undefined : Math.max(0, this.freeAtCheck - this.appendedSinceCheck);
  }

  async refresh(): Promise<void> {
    this.checkedAt = Date.now();
    try {
      const stats = await statfs(this.directory);
      this.freeAtCheck = stats.bavail * stats.bsize;
      this.appendedSinceCheck = 0;
      this.reserve = this.configuredReserve ?? defaultReserveBytes(stats.blocks * stats.bsize);
    } catch {
      // A filesystem that cannot say (or a race with unmounting) leaves the reserve unenforced rather than
      // refusing every request.
      this.freeAtCheck = undefined;
    }
  }

  /** Starts a check in the background when the last one is older than the interval (for readers of `state`). */
  refreshIfStale(): void {
    if (Date.now() - this.checkedAt >= this.checkMillis) void this.refresh();
  }

  /** Throws when writing `bytes` more would leave less than the reserve free. */
  async admit(bytes: number): Promise<void> {
    if (Date.now() - this.checkedAt >= this.checkMillis) await this.refresh();
    const free = this.freeBytes;
    if (free === undefined || this.reserve === undefined || free - bytes >= this.reserve) return;
    throw new Error(
      `the disk holding the write-ahead log (${this.directory}) has ${free} bytes free, below the ${this.reserve}-byte reserve kept so ClickHouse can store the backlog: free space on that disk; appends resume by themselves once more than the reserve is free`,
    );
  }

  appended(bytes: number): void {
    this.appendedSinceCheck += bytes;
  }

  /** A write failed for lack of space: treat the disk as full until the next check says otherwise. */
  ranOut(): void {
    this.freeAtCheck = 0;
    this.appendedSinceCheck = 0;
  }
}
