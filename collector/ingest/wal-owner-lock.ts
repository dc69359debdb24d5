/**
 * One process per log: two receivers appending to the same segments would corrupt each other's records. With
 * embedded ClickHouse the store's own lock already says so; with a ClickHouse server only this lock does. A lock
 * left by a process that no longer runs (kill -9) is taken over.
 *
 * The lock is `owner.pid` holding the owner's pid. On a full disk a new file cannot get a byte of content, so the
 * lock is then a symbolic link whose target is the pid: a short link lives in its inode and needs no free block,
 * and creating one is as exclusive as creating a file.
 */
import { lstatSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const lockFileName = 'owner.pid';

function isOutOfSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Creates the lock; false when one exists already. */
function createLock(path: string): boolean {
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if (!isOutOfSpace(error)) throw error;
  }
  // The file exists (we created it) but is empty: replace it with the link form, which needs no data block.
  rmSync(path, { force: true });
  try {
    symlinkSync(String(process.pid), path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readOwner(path: string): number {
  try {
    const text = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : readFileSync(path, 'utf8');
    return Number(text.trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

export function takeOwnership(directory: string): void {
  const path = join(directory, lockFileName);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createLock(path)) return;
    const owner = readOwner(path);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processIsAlive(owner)) {
      throw new Error(
        `the write-ahead log in ${directory} belongs to another running receiver (pid ${owner}): stop it or pass another --data-dir`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new Error(`cannot take ownership of the write-ahead log in ${directory}`);
}

export function releaseOwnership(directory: string): void {
  rmSync(join(directory, lockFileName), { force: true });
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
