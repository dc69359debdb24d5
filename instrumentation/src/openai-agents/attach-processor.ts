/**
 * Attaches the process-wide OpenAI Agents tracing processor to a loaded `@openai/agents` (or
 * `@openai/agents-core`) module: `register({ modules: { '@openai/agents': agents } })` and the module hooks call
 * this once the module's body has run. That order matters: `@openai/agents` replaces the SDK's processors with
 * its OpenAI exporter as it loads (`setDefaultOpenAITracingExporter()`), so a processor added before would be
 * dropped. The SDK keeps one trace provider per process (under a registered symbol), so one processor, kept on
 * `globalThis` and shared by this package's ESM and CommonJS builds, serves every copy of the SDK.
 */
import { isRecord } from '../genai/messages.ts';
import { instrumentationState } from '../state.ts';
import { OpenAIAgentsTracingProcessor } from './agents-tracing-processor.ts';
import type { AgentsTracingProcessor } from './sdk-tracing-types.ts';

const PROCESSOR_KEY = Symbol.for('@agent-trajectories/instrumentation.openaiAgentsProcessor');

interface AgentsTracingApi {
  addTraceProcessor: (processor: AgentsTracingProcessor) => void;
  getCurrentSpan: (() => unknown) | undefined;
}

function sharedProcessor(): OpenAIAgentsTracingProcessor {
  const holder = globalThis as unknown as Record<symbol, OpenAIAgentsTracingProcessor | undefined>;
  let processor = holder[PROCESSOR_KEY];
  if (!processor) {
    processor = new OpenAIAgentsTracingProcessor();
    holder[PROCESSOR_KEY] = processor;
  }
  return processor;
}

/**
 * The processor, for applications that manage the SDK's processors themselves:
 * `setTraceProcessors([openAIAgentsTracingProcessor()])` (which also drops the SDK's export to OpenAI). It emits
 * spans while a `register()` handle is active.
 */
export function openAIAgentsTracingProcessor(): AgentsTracingProcessor {
  return sharedProcessor();
}

/** Adds the processor to the SDK's trace provider unless it is there already. Returns 1 when it was added. */
export function attachOpenAIAgents(moduleExports: unknown): number {
  const api = findTracingApi(moduleExports);
  if (!api) return 0;
  const processor = sharedProcessor();
  if (api.getCurrentSpan) processor.useCurrentSpanLookup(api.getCurrentSpan);
  instrumentationState().modelCallParent = () => processor.modelCallParent();
  if (processor.attached) return 0;
  api.addTraceProcessor(processor);
  processor.attached = true;
  return 1;
}

function findTracingApi(moduleExports: unknown): AgentsTracingApi | undefined {
  const candidates: unknown[] = [moduleExports];
  if (isRecord(moduleExports) || typeof moduleExports === 'function') {
    candidates.push((moduleExports as Record<string, unknown>)['default']);
  }
  for (const candidate of candidates) {
    if (!isRecord(candidate)) continue;
    const addTraceProcessor = candidate['addTraceProcessor'];
    if (typeof addTraceProcessor !== 'function') continue;
    const getCurrentSpan = candidate['getCurrentSpan'];
    return {
      addTraceProcessor: addTraceProcessor as AgentsTracingApi['addTraceProcessor'],
      getCurrentSpan: typeof getCurrentSpan === 'function' ? (getCurrentSpan as () => unknown) : undefined,
    };
  }
  return undefined;
}
