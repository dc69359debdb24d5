/**
 * Atomic output files: data goes to `<path>.tmp-<pid>-<random>` next to the final name, is fsync'd, then renamed
 * over the final name (and the directory fsync'd), so a crash or an error never leaves a partial file under the
 * final name, and readers see either the old file or the complete new one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export function temporaryPathFor(path: string, suffix = ''): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}${suffix}`;
}

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs `temporaryPath`, renames it to `path` and fsyncs the directory so the rename itself is durable. */
export async function commitFile(temporaryPath: string, path: string): Promise<void> {
  await fsyncPath(temporaryPath);
  await rename(temporaryPath, path);
  try {
    await fsyncPath(dirname(path));
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true });
}
