/**
 * Zero-code entry for `node --require @agent-trajectories/instrumentation/register app.js` (CommonJS build):
 * registers tracing from the `OTEL_*` environment variables and hooks `require` and, with the ESM build's loader
 * hook, `import` of the SDKs.
 */
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from '../register.ts';

const logLevel = process.env['OTEL_LOG_LEVEL']?.trim().toUpperCase();
if (logLevel && logLevel in DiagLogLevel)
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel[logLevel as keyof typeof DiagLogLevel]);

// This file is dist/cjs/entry/register-cjs.js; the loader hook is ESM and lives in dist/esm/hooks.
const esmHooks = join(__dirname, '..', '..', 'esm', 'hooks');
register(
  {},
  {
    esmHookFiles: {
      loaderUrl: pathToFileURL(join(esmHooks, 'esm-loader.js')).href,
      patchModuleUrl: pathToFileURL(join(esmHooks, 'patch-module.js')).href,
    },
  },
);
