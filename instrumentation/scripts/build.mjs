#!/usr/bin/env node
// Builds the package twice: ESM (dist/esm, the primary build) and CommonJS (dist/cjs, for `--require` and
// `require()` users). Runs from `prepare`, so `npm install` at the repository root leaves a usable package.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(join(packageDirectory, 'package.json')).resolve('typescript/bin/tsc');
rmSync(join(packageDirectory, 'dist'), { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', join(packageDirectory, project)], { stdio: 'inherit' });
}
// The package is `"type": "module"`; this marker makes Node read dist/cjs/*.js as CommonJS.
mkdirSync(join(packageDirectory, 'dist', 'cjs'), { recursive: true });
writeFileSync(join(packageDirectory, 'dist', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
