/**
 * `register()`: sets up tracing for an agent process in one call — a tracer provider exporting over OTLP/HTTP
 * (configured by the standard `OTEL_*` variables), the patches that turn openai / @anthropic-ai/sdk calls into
 * GenAI spans, and the OpenAI Agents SDK tracing processor. The `--import` / `--require` entry points call it with
 * no options.
 */
import { context, propagation, trace, type TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { INSTRUMENTATION_SCOPE_NAME, INSTRUMENTATION_SCOPE_VERSION } from './attributes.ts';
import { resolveConfiguration, type RegisterOptions } from './configuration.ts';
import { guard, reportOnce } from './guard.ts';
import { installEsmHook, locateEsmHookFiles, type EsmHookFiles } from './hooks/esm-hook-registration.ts';
import { patchModule } from './hooks/patch-module.ts';
import { installRequireHook, patchAlreadyRequiredModules } from './hooks/require-hook.ts';
import { instrumentationState } from './state.ts';
import { TrajectorySpanProcessor } from './trajectory/trajectory-span-processor.ts';

export interface InstrumentationHandle {
  /** The provider spans are created with. */
  readonly tracerProvider: TracerProvider;
  /** Exports every finished span now (call before `process.exit()`). */
  forceFlush(): Promise<void>;
  /** Flushes, stops creating spans and unregisters what `register()` registered. Safe to call twice. */
  shutdown(): Promise<void>;
}

const ACTIVE_HANDLE_KEY = Symbol.for('@agent-trajectories/instrumentation.activeHandle');

/** Internal: the entry points pass the exact ESM hook URLs, which shared code cannot compute in both builds. */
export interface RegisterInternals {
  esmHookFiles?: EsmHookFiles;
}

export function register(options: RegisterOptions = {}, internals: RegisterInternals = {}): InstrumentationHandle {
  const configuration = resolveConfiguration(options);
  const state = instrumentationState();
  const holder = globalThis as unknown as Record<symbol, InstrumentationHandle | undefined>;
  // A second register() replaces the first (tests, re-configuration); the first one's spans are still flushed.
  void holder[ACTIVE_HANDLE_KEY]?.shutdown();

  if (configuration.disabled) {
    state.enabled = false;
    return { tracerProvider: trace.getTracerProvider(), forceFlush: async () => {}, shutdown: async () => {} };
  }

  let ownProvider: NodeTracerProvider | undefined;
  let tracerProvider: TracerProvider;
  if (options.tracerProvider) {
    tracerProvider = options.tracerProvider;
  } else {
    const resource = defaultResource()
      .merge(detectResources({ detectors: [envDetector] }))
      .merge(
        resourceFromAttributes({
          ...options.resourceAttributes,
          ...(options.serviceName !== undefined ? { 'service.name': options.serviceName } : {}),
        }),
      );
    const spanProcessors: SpanProcessor[] = [
      new TrajectorySpanProcessor(),
      ...(options.spanProcessors ?? [
        new BatchSpanProcessor(
          new OTLPTraceExporter({
            ...(configuration.exporterUrl !== undefined ? { url: configuration.exporterUrl } : {}),
            ...(options.headers !== undefined ? { headers: options.headers } : {}),
          }),
        ),
      ]),
    ];
    ownProvider = new NodeTracerProvider({ resource, spanProcessors });
    // Registers the provider, an AsyncLocalStorage context manager and W3C propagation, unless the application
    // already registered its own (then ours is used only for our spans).
    ownProvider.register();
    tracerProvider = ownProvider;
  }

  state.tracerProvider = tracerProvider;
  state.tracer = tracerProvider.getTracer(INSTRUMENTATION_SCOPE_NAME, INSTRUMENTATION_SCOPE_VERSION);
  state.captureMessageContent = configuration.captureMessageContent;
  state.redactContent = options.redactContent;
  state.enabled = true;

  if (options.modules?.openai !== undefined) patchModule('openai', options.modules.openai);
  if (options.modules?.anthropic !== undefined) patchModule('@anthropic-ai/sdk', options.modules.anthropic);
  const agents = options.modules?.['@openai/agents'];
  if (agents !== undefined) patchModule('@openai/agents', agents);
  if (configuration.autoInstrument) {
    guard('installing the require hook', () => {
      installRequireHook();
      patchAlreadyRequiredModules();
    });
    guard('installing the ESM loader hook', () => installEsmHook(internals.esmHookFiles ?? locateEsmHookFiles()));
  }

  let shutdownPromise: Promise<void> | undefined;
  const flushBeforeExit = (): void => {
    void handle.shutdown();
  };
  const handle: InstrumentationHandle = {
    tracerProvider,
    // Export failures (receiver down) are reported through diag, never thrown into the application.
    forceFlush: async () => {
      const flushable = tracerProvider as { forceFlush?: () => Promise<void> };
      if (typeof flushable.forceFlush !== 'function') return;
      await flushable.forceFlush().catch((error: unknown) => reportOnce('flushing spans', error));
    },
    shutdown: () => {
      if (shutdownPromise) return shutdownPromise;
      // Unregister synchronously, so a register() that follows at once installs its own provider and state.
      process.removeListener('beforeExit', flushBeforeExit);
      if (holder[ACTIVE_HANDLE_KEY] === handle) {
        holder[ACTIVE_HANDLE_KEY] = undefined;
        state.enabled = false;
        state.tracer = undefined;
        state.tracerProvider = undefined;
        state.captureMessageContent = undefined;
        state.redactContent = undefined;
      }
      if (ownProvider && isGlobalProvider(ownProvider)) {
        trace.disable();
        context.disable();
        propagation.disable();
      }
      shutdownPromise = ownProvider
        ? ownProvider.shutdown().catch((error: unknown) => reportOnce('shutting down the tracer provider', error))
        : Promise.resolve();
      return shutdownPromise;
    },
  };
  holder[ACTIVE_HANDLE_KEY] = handle;
  // Short-lived agent scripts end when their event loop drains: flush the batch processor then.
  process.once('beforeExit', flushBeforeExit);
  return handle;
}

function isGlobalProvider(provider: TracerProvider): boolean {
  const global = trace.getTracerProvider() as { getDelegate?: () => TracerProvider };
  return global === provider || global.getDelegate?.() === provider;
}
