/**
 * Zero-code entry for `node --import @agent-trajectories/instrumentation/register app.js`: registers tracing from
 * the `OTEL_*` environment variables and hooks both `import` and `require` of the SDKs.
 */
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { register } from '../register.ts';

const logLevel = process.env['OTEL_LOG_LEVEL']?.trim().toUpperCase();
if (logLevel && logLevel in DiagLogLevel)
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel[logLevel as keyof typeof DiagLogLevel]);

register(
  {},
  {
    esmHookFiles: {
      loaderUrl: new URL('../hooks/esm-loader.js', import.meta.url).href,
      patchModuleUrl: new URL('../hooks/patch-module.js', import.meta.url).href,
    },
  },
);
