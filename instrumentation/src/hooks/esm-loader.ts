/**
 * ESM side of auto-instrumentation: a Node module-customization hook (registered with `module.register`) that
 * appends two lines to the entry module of `openai`, `@anthropic-ai/sdk` and `@openai/agents` when they are
 * imported (after the module's body, so `@openai/agents` has installed its own processors): an import of
 * the module's own namespace and of `patchModule`, and a call patching the SDK's classes as soon as they exist.
 * Nothing else is touched; the hook runs on Node's loader thread and never sees application objects.
 */

interface LoaderData {
  patchModuleUrl: string;
}

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | ArrayBufferView | null;
  shortCircuit?: boolean;
}

type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;

const ENTRY_MODULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\/node_modules\/openai\/index\.mjs$/, 'openai'],
  [/\/node_modules\/@anthropic-ai\/sdk\/index\.mjs$/, '@anthropic-ai/sdk'],
  [/\/node_modules\/@openai\/agents\/dist\/index\.mjs$/, '@openai/agents'],
];

const INJECTION_MARKER = '__agentTrajectoriesSelf';

let patchModuleUrl: string | undefined;

export function initialize(data: LoaderData | undefined): void {
  patchModuleUrl = data?.patchModuleUrl;
}

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (patchModuleUrl === undefined || result.format !== 'module' || result.source == null) return result;
  const path = url.split(/[?#]/, 1)[0] ?? url;
  const entry = ENTRY_MODULES.find(([pattern]) => pattern.test(path));
  if (!entry) return result;
  const source =
    typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source as Uint8Array);
  // The hook can be in the chain twice (Node runs `--require` preloads in the loader thread too): inject once.
  if (source.includes(INJECTION_MARKER)) return result;
  const injected = [
    `import * as ${INJECTION_MARKER} from ${JSON.stringify(url)};`,
    `import { patchModule as __agentTrajectoriesPatch } from ${JSON.stringify(patchModuleUrl)};`,
    `__agentTrajectoriesPatch(${JSON.stringify(entry[1])}, ${INJECTION_MARKER});`,
  ].join('\n');
  return { ...result, source: `${source}\n${injected}\n` };
}
