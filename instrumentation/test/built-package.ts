/**
 * Test helper: the zero-code entry points run the package's build (`dist/`), not its sources. `npm install` builds
 * it (prepare); tests that start agents with `--import|--require @agent-trajectories/instrumentation/register`
 * rebuild it first when a source file is newer than the build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repositoryRoot = join(packageDirectory, '..');
export const fixtures = join(packageDirectory, 'test', 'fixtures');

function newestModification(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestModification(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  const built = join(packageDirectory, 'dist', 'esm', 'index.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestModification(join(packageDirectory, 'src'))) {
    execFileSync(process.execPath, [join(packageDirectory, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  }
}
