/**
 * Registers the ESM loader hook (`esm-loader.ts`) with `module.register` (Node >= 20.6). The hook files are the
 * ESM build's; the entry points pass their exact URLs, and `register()` called from code finds them next to the
 * CommonJS build or through the package's `./esm-loader` export.
 */
import * as nodeModule from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';
import { guard } from '../guard.ts';
import { instrumentationState } from '../state.ts';

export interface EsmHookFiles {
  loaderUrl: string;
  patchModuleUrl: string;
}

type RegisterFunction = (specifier: string, options: { data: unknown }) => void;

export function installEsmHook(files: EsmHookFiles | undefined): void {
  const state = instrumentationState();
  if (state.esmHookInstalled) return;
  const register = (nodeModule as unknown as { register?: RegisterFunction }).register;
  if (typeof register !== 'function') {
    diag.debug(
      '@agent-trajectories/instrumentation: module.register is unavailable; ESM imports of the SDKs are not patched',
    );
    return;
  }
  if (!files || !existsSync(fileURLToPath(files.loaderUrl))) {
    diag.debug(
      '@agent-trajectories/instrumentation: ESM loader hook not found; ESM imports of the SDKs are not patched',
    );
    return;
  }
  guard('registering the ESM loader hook', () => {
    register(files.loaderUrl, { data: { patchModuleUrl: files.patchModuleUrl } });
    state.esmHookInstalled = true;
  });
}

/** The hook files of this installation, when they can be found without `import.meta` (shared ESM/CJS code). */
export function locateEsmHookFiles(): EsmHookFiles | undefined {
  const directories: string[] = [];
  // In the CommonJS build this file is dist/cjs/hooks/…; the ESM hook files are in dist/esm/hooks.
  if (typeof __dirname === 'string') directories.push(join(__dirname, '..', '..', 'esm', 'hooks'));
  try {
    const requireFromApplication = nodeModule.createRequire(join(process.cwd(), 'noop.js'));
    directories.push(dirname(requireFromApplication.resolve('@agent-trajectories/instrumentation/esm-loader')));
  } catch {
    // Not installed where the application can resolve it: only the CommonJS hook applies.
  }
  for (const directory of directories) {
    const loader = join(directory, 'esm-loader.js');
    const patchModule = join(directory, 'patch-module.js');
    if (existsSync(loader) && existsSync(patchModule)) {
      return { loaderUrl: pathToFileURL(loader).href, patchModuleUrl: pathToFileURL(patchModule).href };
    }
  }
  return undefined;
}
