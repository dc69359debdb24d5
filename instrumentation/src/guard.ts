/**
 * Telemetry must never break or change the host application. Everything this package runs on the application's
 * call path goes through `guard()`: a failure is swallowed and reported once per site through the OTel diag logger,
 * so a bug in an attribute mapper costs a span attribute, never an LLM call.
 */
import { diag } from '@opentelemetry/api';

const reportedSites = new Set<string>();

/** Logs `error` through the OTel diag logger, once per `site` for the life of the process. */
export function reportOnce(site: string, error: unknown): void {
  if (reportedSites.has(site)) return;
  reportedSites.add(site);
  try {
    diag.warn(`@agent-trajectories/instrumentation: ${site} failed (reported once): ${describeError(error)}`);
  } catch {
    // A diag logger that throws is the application's problem, not a reason to throw into it.
  }
}

/** Runs `step`; returns its result, or `fallback` when it throws (after reporting once). */
export function guard<T>(site: string, step: () => T, fallback: T): T;
export function guard<T>(site: string, step: () => T): T | undefined;
export function guard<T>(site: string, step: () => T, fallback?: T): T | undefined {
  try {
    return step();
  } catch (error) {
    reportOnce(site, error);
    return fallback;
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return 'unprintable error';
  }
}
