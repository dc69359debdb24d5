/**
 * Atomic output files: data goes to `<path>.tmp-<pid>-<random>` next to the final name, is fsync'd, then renamed
 * over the final name (and the directory fsync'd), so a crash or an error never leaves a partial file under the
 * final name, and readers see either the old file or the complete new one. Job runs must never replace a file
 * (two processes running one job would take the same run file name), so they commit with a hard link instead,
 * which fails when the final name exists.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, rm, unlink } from 'node:fs/promises';
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

/** A commit refused because the final name already exists (only with `replace: false`). */
export class FileExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists and was not replaced`);
  }
}

/**
 * fsyncs `temporaryPath`, moves it to `path` and fsyncs the directory so the move itself is durable. With
 * `replace: false` an existing `path` is left alone and the commit fails with `FileExistsError`.
 */
export async function commitFile(
  temporaryPath: string,
  path: string,
  options: { replace?: boolean } = {},
): Promise<void> {
  await fsyncPath(temporaryPath);
  if (options.replace ?? true) {
    await rename(temporaryPath, path);
  } else {
    try {
      await link(temporaryPath, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(path);
      throw error;
    }
    await unlink(temporaryPath);
  }
  try {
    await fsyncPath(dirname(path));
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true });
}
