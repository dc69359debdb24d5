/**
 * CommonJS side of auto-instrumentation: wraps `Module.prototype.require` so `require('openai')` and
 * `require('@anthropic-ai/sdk')` return patched SDKs, and patches copies that were required before `register()`.
 */
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { guard } from '../guard.ts';
import { instrumentationState } from '../state.ts';
import { INSTRUMENTED_MODULE_NAMES, patchModule } from './patch-module.ts';

const instrumentedNames = new Set<string>(INSTRUMENTED_MODULE_NAMES);

export function installRequireHook(): void {
  const state = instrumentationState();
  if (state.requireHookInstalled) return;
  state.requireHookInstalled = true;
  const prototype = Module.prototype as unknown as { require: (this: unknown, id: string) => unknown };
  const originalRequire = prototype.require;
  prototype.require = function (this: unknown, id: string): unknown {
    // eslint-disable-next-line prefer-rest-params
    const exports = originalRequire.apply(this, arguments as unknown as [string]);
    if (instrumentedNames.has(id)) patchModule(id, exports);
    return exports;
  };
}

/** Patches SDK copies already in the require cache, resolved the way the application would resolve them. */
export function patchAlreadyRequiredModules(): void {
  const requireFromApplication = createRequire(join(process.cwd(), 'noop.js'));
  for (const name of INSTRUMENTED_MODULE_NAMES) {
    guard(`looking up an already loaded ${name}`, () => {
      let resolved: string;
      try {
        resolved = requireFromApplication.resolve(name);
      } catch {
        return;
      }
      const cached = requireFromApplication.cache[resolved];
      if (cached) patchModule(name, cached.exports);
    });
  }
}
