/**
 * Patches the LLM methods of a loaded SDK module in place: `Chat.Completions.prototype.create` and
 * `Responses.prototype.create` of `openai`, `Messages.prototype.create` (and the beta one) of `@anthropic-ai/sdk`;
 * attaches a tracing processor to `@openai/agents`.
 * Patching prototypes covers every client instance, however the application built it. The ESM and CommonJS builds
 * of an SDK are distinct classes, so each is patched when it loads; patching twice is a no-op.
 */
import { guard } from '../guard.ts';
import { anthropicMessagesAdapter } from '../genai/anthropic-messages.ts';
import { isWrapped, wrapLlmMethod, type LlmCallAdapter } from '../genai/llm-call.ts';
import { openAIChatCompletionsAdapter } from '../genai/openai-chat-completions.ts';
import { openAIResponsesAdapter } from '../genai/openai-responses.ts';
import { attachOpenAIAgents } from '../openai-agents/attach-processor.ts';

export type InstrumentedModuleName = 'openai' | '@anthropic-ai/sdk' | '@openai/agents';

export const INSTRUMENTED_MODULE_NAMES: readonly InstrumentedModuleName[] = [
  'openai',
  '@anthropic-ai/sdk',
  '@openai/agents',
];

/**
 * Patches `moduleExports` (the module namespace, its CommonJS exports or the client class itself).
 * Returns the number of methods newly patched.
 */
export function patchModule(name: string, moduleExports: unknown): number {
  return guard(
    `patching ${name}`,
    () => {
      if (name === 'openai') {
        const client = findClientClass(moduleExports, 'OpenAI', (candidate) => candidate['Chat'] !== undefined);
        if (!client) return 0;
        const chat = client['Chat'] as Record<string, unknown> | undefined;
        return (
          patchMethod(chat?.['Completions'], 'create', openAIChatCompletionsAdapter) +
          patchMethod(client['Responses'], 'create', openAIResponsesAdapter)
        );
      }
      if (name === '@anthropic-ai/sdk') {
        const client = findClientClass(moduleExports, 'Anthropic', (candidate) => candidate['Messages'] !== undefined);
        if (!client) return 0;
        const beta = client['Beta'] as Record<string, unknown> | undefined;
        return (
          patchMethod(client['Messages'], 'create', anthropicMessagesAdapter) +
          patchMethod(beta?.['Messages'], 'create', anthropicMessagesAdapter)
        );
      }
      // The Agents SDK is not patched: it gets a tracing processor, through its own tracing API.
      if (name === '@openai/agents') return attachOpenAIAgents(moduleExports);
      return 0;
    },
    0,
  );
}

type ClassLike = Record<string, unknown> & { prototype?: Record<string, unknown> };

function findClientClass(
  moduleExports: unknown,
  exportName: string,
  looksRight: (candidate: ClassLike) => boolean,
): ClassLike | undefined {
  const candidates: unknown[] = [moduleExports];
  if (moduleExports !== null && (typeof moduleExports === 'object' || typeof moduleExports === 'function')) {
    const record = moduleExports as Record<string, unknown>;
    candidates.push(record[exportName], record['default']);
    const nestedDefault = record['default'];
    if (nestedDefault !== null && (typeof nestedDefault === 'object' || typeof nestedDefault === 'function')) {
      candidates.push((nestedDefault as Record<string, unknown>)[exportName]);
    }
  }
  for (const candidate of candidates) {
    if (typeof candidate === 'function' && looksRight(candidate as unknown as ClassLike))
      return candidate as unknown as ClassLike;
  }
  return undefined;
}

function patchMethod(resourceClass: unknown, methodName: string, adapter: LlmCallAdapter): number {
  if (typeof resourceClass !== 'function') return 0;
  const prototype = (resourceClass as unknown as ClassLike).prototype;
  const original = prototype?.[methodName];
  if (!prototype || typeof original !== 'function' || isWrapped(original)) return 0;
  prototype[methodName] = wrapLlmMethod(original as (this: unknown, ...args: unknown[]) => unknown, adapter);
  return 1;
}
