/**
 * `register()` options merged with the standard OpenTelemetry environment variables in one place:
 * option ?? environment ?? default. The OTLP exporter itself reads `OTEL_EXPORTER_OTLP_*`, the resource detector
 * `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES`, and the batch processor `OTEL_BSP_*`.
 */
import type { Attributes, TracerProvider } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { captureMessageContentFromEnvironment, type RedactContent } from './state.ts';

export interface RegisterOptions {
  /**
   * `service.name` of the resource.
   * @default `OTEL_SERVICE_NAME`, else the SDK default (`unknown_service:node`)
   */
  serviceName?: string;
  /**
   * OTLP/HTTP base URL of the receiver; `/v1/traces` is appended.
   * @default `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4318`
   */
  endpoint?: string;
  /**
   * Headers sent with every export request.
   * @default `OTEL_EXPORTER_OTLP_TRACES_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`
   */
  headers?: Record<string, string>;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES` (e.g. `agentlightning.rollout_id`). */
  resourceAttributes?: Attributes;
  /**
   * Span processors to use instead of the default batch processor with the OTLP/HTTP exporter
   * (e.g. `new SimpleSpanProcessor(new InMemorySpanExporter())` in tests).
   */
  spanProcessors?: SpanProcessor[];
  /**
   * An existing tracer provider (e.g. the application's NodeSDK) to create spans with. No provider, exporter or
   * global registration is set up then, and the handle's `shutdown()` leaves the provider running.
   */
  tracerProvider?: TracerProvider;
  /**
   * Record message content (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`,
   * `gen_ai.tool.definitions`, tool arguments and results).
   * @default `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (`false` turns it off), else `true`
   */
  captureMessageContent?: boolean;
  /** Scrubs captured content before it is recorded; see {@link RedactContent}. */
  redactContent?: RedactContent;
  /**
   * SDK modules (or client classes) to patch right away: needed when the application imported them (ESM) before
   * calling `register()`, and in bundled applications where module loading cannot be hooked. `'@openai/agents'`
   * takes the `@openai/agents` (or `@openai/agents-core`) module, whose tracing API gets the processor.
   */
  modules?: { openai?: unknown; anthropic?: unknown; '@openai/agents'?: unknown };
  /**
   * Patch `openai` and `@anthropic-ai/sdk`, and attach the tracing processor to `@openai/agents`, when the
   * application loads them later (require hook and ESM loader hook).
   * @default true
   */
  autoInstrument?: boolean;
  /**
   * Turn everything off: no provider, no patches; the trajectory API then uses whatever global provider exists.
   * @default `OTEL_SDK_DISABLED === 'true'`, else `false`
   */
  disabled?: boolean;
}

export interface ResolvedConfiguration {
  disabled: boolean;
  captureMessageContent: boolean;
  autoInstrument: boolean;
  exporterUrl: string | undefined;
}

export function resolveConfiguration(options: RegisterOptions): ResolvedConfiguration {
  if (options.endpoint !== undefined) {
    try {
      new URL(options.endpoint);
    } catch {
      throw new TypeError(
        `register(): endpoint must be an absolute URL such as http://127.0.0.1:4318, got ${JSON.stringify(options.endpoint)}`,
      );
    }
  }
  return {
    disabled: options.disabled ?? process.env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true',
    captureMessageContent: options.captureMessageContent ?? captureMessageContentFromEnvironment() ?? true,
    autoInstrument: options.autoInstrument ?? true,
    exporterUrl: options.endpoint === undefined ? undefined : `${options.endpoint.replace(/\/+$/, '')}/v1/traces`,
  };
}
