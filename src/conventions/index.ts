/**
 * Maps decoded OTLP spans and log records onto the canonical model. Each telemetry convention is one module with a
 * `ConventionMapper`; `MAPPERS` lists them from most to least specific. A span can match several (AI SDK provider
 * calls also carry gen_ai.* attributes; Agent Lightning ids sit on the resource of any span): the matches are
 * merged field by field, the most specific primary match first, and the first primary match names the convention.
 * Conversation ids are the exception: their spellings cross conventions, so one reader serves every span.
 * Adding a convention is adding its module and one line here.
 */
import type { OtlpSpan } from '../model/otlp.ts';
import type { Convention, SpanMapping } from '../model/span.ts';
import type { ConventionMapper, ConventionMatch } from './convention-mapper.ts';
import { agentLightningMapper } from './agent-lightning.ts';
import { readConversationId } from './conversation-id.ts';
import { genAiMapper } from './genai.ts';
import { openInferenceMapper } from './openinference.ts';
import { openLlmetryMapper } from './openllmetry.ts';
import { stripTokenCounts } from './usage.ts';
import { vercelAiMapper } from './vercel-ai.ts';

const MAPPERS: readonly ConventionMapper[] = [
  vercelAiMapper,
  openInferenceMapper,
  openLlmetryMapper,
  agentLightningMapper,
  genAiMapper,
];

export function mapSpan(span: OtlpSpan): SpanMapping {
  const primary: ConventionMatch[] = [];
  const secondary: ConventionMatch[] = [];
  let convention: Convention = 'none';
  let secondaryConvention: Convention = 'none';
  let withoutTokenCounts = false;
  for (const mapper of MAPPERS) {
    const match = mapper.map(span);
    if (match === undefined) continue;
    if (match.primary) {
      if (convention === 'none') convention = mapper.convention;
      primary.push(match);
    } else {
      if (secondaryConvention === 'none') secondaryConvention = mapper.convention;
      secondary.push(match);
    }
    if (match.withoutTokenCounts === true) withoutTokenCounts = true;
  }
  const merged: SpanMapping = {};
  // Conversation ids are read from every span, whichever convention claimed it (see conversation-id.ts); an id
  // set directly on the span wins over one a mapper found elsewhere (AI SDK telemetry metadata).
  const conversationId = readConversationId(span.attributes);
  if (conversationId !== undefined) merged.conversation_id = conversationId;
  for (const match of primary) mergeInto(merged, match.mapping);
  for (const match of secondary) mergeInto(merged, match.mapping);
  // With only contributing matches (rollout ids on an otherwise plain span) the first of them names the span.
  merged.convention = convention === 'none' ? secondaryConvention : convention;
  merged.kind ??= 'other';
  // Agent spans and SDK wrapper spans report their children's totals; counting them again would double usage.
  if (withoutTokenCounts || merged.kind === 'agent') stripTokenCounts(merged);
  return merged;
}

/** Copies the fields `target` does not have yet: earlier (more specific) mappings win field by field. */
function mergeInto(target: SpanMapping, source: SpanMapping): void {
  for (const key of Object.keys(source) as Array<keyof SpanMapping>) {
    if (target[key] === undefined && source[key] !== undefined) {
      (target as Record<string, unknown>)[key] = source[key];
    }
  }
}

export { mapLogRecord } from './log-mapping.ts';
export type { LogMapping } from './log-mapping.ts';
export type { ConventionMapper, ConventionMatch } from './convention-mapper.ts';
