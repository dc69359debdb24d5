/**
 * Writes captured content (messages, tool definitions, tool arguments and results, task descriptions, reward
 * comments) onto spans: only when content capture is on, after the user's redaction hook, serialized as JSON. The
 * hook gets its own copy, so a hook that scrubs in place never changes the application's objects (the SDK response
 * the caller receives, its tools schema, a tool's arguments). A hook that throws drops that attribute rather than
 * risk exporting what it was meant to scrub.
 */
import type { Span } from '@opentelemetry/api';
import { reportOnce } from './guard.ts';
import { captureMessageContentEnabled, instrumentationState } from './state.ts';

/** Records `value` on `span` as `attribute` (JSON unless it is already a string). */
export function setContentAttribute(span: Span, attribute: string, value: unknown): void {
  if (value === undefined || !captureMessageContentEnabled()) return;
  let recorded: unknown = value;
  const redact = instrumentationState().redactContent;
  if (redact) {
    try {
      recorded = redact(detachedCopy(value), { attribute });
    } catch (error) {
      reportOnce(`redaction hook for ${attribute}`, error);
      return;
    }
    if (recorded === undefined) return;
  }
  const text = typeof recorded === 'string' ? recorded : toJson(recorded);
  if (text !== undefined) span.setAttribute(attribute, text);
}

/** A deep copy: structured clone, or a JSON round trip for what cannot be cloned (functions, class instances with them). */
function detachedCopy(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  }
}

/** JSON text of `value`, or `undefined` when it cannot be serialized (cycles, BigInt). */
export function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    reportOnce('serializing content to JSON', error);
    return undefined;
  }
}

/** Parses JSON text the model produced (tool call arguments) into an object when it can, else keeps the text. */
export function parseJsonLenient(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
