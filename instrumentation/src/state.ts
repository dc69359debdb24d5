/**
 * Process-wide instrumentation state. It lives on `globalThis` under a registered symbol because the package can be
 * loaded twice in one process (its ESM build via `--import` or `import`, its CommonJS build via `--require`), and
 * both copies, and the patches each installed, must see the same tracer and the same content settings.
 */
import { trace, type Context, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE_NAME, INSTRUMENTATION_SCOPE_VERSION } from './attributes.ts';

/** What a redaction hook is told about the content it is given. */
export interface ContentRedactionContext {
  /** The attribute the content is about to be written to, e.g. `gen_ai.input.messages`. */
  attribute: string;
}

/**
 * Scrubs captured content before it is recorded. `value` is the structured value (the GenAI messages array, the
 * tool arguments, ...); return the value to record instead, or `undefined` to drop the attribute. A hook that throws
 * drops the attribute (the call itself is unaffected).
 */
export type RedactContent = (value: unknown, context: ContentRedactionContext) => unknown;

export interface InstrumentationState {
  /** False until `register()` runs and after its handle shuts down: patched SDK methods then call straight through. */
  enabled: boolean;
  tracerProvider: TracerProvider | undefined;
  tracer: Tracer | undefined;
  captureMessageContent: boolean | undefined;
  redactContent: RedactContent | undefined;
  /**
   * Set by an instrumented agent framework that traces its model calls itself (the OpenAI Agents SDK): the context
   * an LLM call made through a patched SDK belongs in, or undefined for the active context.
   */
  modelCallParent: (() => Context | undefined) | undefined;
  requireHookInstalled: boolean;
  esmHookInstalled: boolean;
}

const STATE_KEY = Symbol.for('@agent-trajectories/instrumentation.state');

export function instrumentationState(): InstrumentationState {
  const holder = globalThis as unknown as Record<symbol, InstrumentationState | undefined>;
  let state = holder[STATE_KEY];
  if (!state) {
    state = {
      enabled: false,
      tracerProvider: undefined,
      tracer: undefined,
      captureMessageContent: undefined,
      redactContent: undefined,
      modelCallParent: undefined,
      requireHookInstalled: false,
      esmHookInstalled: false,
    };
    holder[STATE_KEY] = state;
  }
  return state;
}

/** The registered tracer, or the global API's tracer so the trajectory API also works with an application's own SDK. */
export function currentTracer(): Tracer {
  const state = instrumentationState();
  return state.tracer ?? trace.getTracer(INSTRUMENTATION_SCOPE_NAME, INSTRUMENTATION_SCOPE_VERSION);
}

/** Content capture: the registered setting, else `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, else on. */
export function captureMessageContentEnabled(): boolean {
  return instrumentationState().captureMessageContent ?? captureMessageContentFromEnvironment() ?? true;
}

export function captureMessageContentFromEnvironment(): boolean | undefined {
  const raw = process.env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim().toLowerCase();
  if (value === 'false' || value === '0' || value === 'no' || value === 'off') return false;
  return true;
}
