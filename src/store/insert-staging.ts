/**
 * Staging files for embedded inserts (`StoreOptions.stagedInserts`, off by default). The embedded engine inserts a
 * file it reads itself (`INSERT ... FROM INFILE`) 1.1-1.7x faster than the same bytes handed over by chdb's
 * `rawInsert`, more for larger batches, though not yet end to end in the receiver (docs/decisions/
 * 2026-12-02-insert-transport.md). Each batch is written to `<dataDir>/insert-staging/` on the data
 * directory's own disk and read back by ClickHouse. The contract: every staging file has a name no other insert
 * uses, and is removed once its insert settled, whether it succeeded or not; files a crash left behind are
 * removed when the store opens. A staging file is never the durable copy (the write-ahead log is), so it is
 * neither fsynced nor kept for a retry.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const stagingDirectoryName = 'insert-staging';

/** The staging directory of a data directory, as an absolute path (ClickHouse resolves INFILE paths itself). */
export function stagingDirectoryOf(dataDir: string): string {
  return resolve(dataDir, stagingDirectoryName);
}

/**
 * Removes staging files an earlier process left behind (a crash between write and unlink). Call only once this
 * process holds the data directory, so another process's files in flight are never touched. A directory this
 * process may not write (a read-only copy opened to export) is left alone: it will not insert either.
 */
export function removeLeftoverStagingFiles(directory: string): void {
  try {
    rmSync(directory, { recursive: true, force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw error;
  }
}

/**
 * FROM INFILE expands `*`, `?`, `{a,b}` and `{1..9}` in its path; a data directory whose path holds them cannot
 * stage files by name, and the store keeps chdb's rawInsert instead. Staged anyway, such a path reads other files
 * too, or none at all: a glob that matches nothing inserts no row and reports success, which would lose the batch
 * (test/store/insert-transport-glob-path.test.ts). `[ ]` are not globs to ClickHouse; refused to be safe.
 */
export function canStageIn(directory: string): boolean {
  return !/[*?{}[\]]/.test(directory);
}

/**
 * Settings for a staged insert beyond the JSON text ones, for a machine with `cores` cores. On two cores, parsing
 * each batch on one thread (`input_format_parallel_parsing = 0`) inserted about 1.1x faster (faster in 15 of 18
 * same-run comparisons), with less CPU per GB, than ClickHouse's parallel parsing, which cuts a batch into 10 MiB
 * chunks and parses them on `max_parsing_threads` threads (docs/decisions/2026-12-02-insert-transport.md).
 * Machines with more cores were not measured and keep ClickHouse's default, where parallel parsing has cores to
 * spare.
 */
export function stagedInsertSettings(cores: number): Record<string, number> {
  return cores <= 2 ? { input_format_parallel_parsing: 0 } : {};
}

/** A ClickHouse string literal of `text`: backslashes and single quotes escaped. */
export function sqlStringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Writes `bytes` to a new staging file, runs `use` with its path and removes the file however `use` ended. A
 * write that fails (a full disk: ENOSPC) rejects with Node's error, which carries no ClickHouse code, so the
 * store classifies it as `unavailable` and the writer retries the batch later.
 */
export async function withStagingFile<Result>(
  directory: string,
  bytes: Uint8Array,
  use: (path: string) => Promise<Result>,
): Promise<Result> {
  const path = join(directory, `${randomUUID()}.jsonl`);
  try {
    await mkdir(directory, { recursive: true });
    await writeFile(path, bytes, { flag: 'wx' });
    return await use(path);
  } finally {
    // A file that could not be removed now is removed at the next open; failing the insert for it would only
    // make the writer insert the same rows again.
    await unlink(path).catch(() => undefined);
  }
}
