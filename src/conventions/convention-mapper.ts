/**
 * The contract every convention module fulfils. A mapper looks at one span and either ignores it or returns what
 * it recognised. `primary` says the span is "of" this convention (an OpenInference LLM span), as opposed to a
 * convention that only contributes a few fields (Agent Lightning rollout ids on the resource); the first primary
 * match names the span's convention. `withoutTokenCounts` marks spans that must never carry token counts: spans
 * whose counts sum their children's (the AI SDK's outer `ai.generateText`), or every call would be counted twice,
 * and embedding calls, whose tokens are not LLM tokens.
 */
import type { Convention, SpanMapping } from '../model/span.ts';
import type { OtlpSpan } from '../model/otlp.ts';

export interface ConventionMatch {
  mapping: SpanMapping;
  primary: boolean;
  withoutTokenCounts?: boolean;
}

export interface ConventionMapper {
  convention: Exclude<Convention, 'none'>;
  map(span: OtlpSpan): ConventionMatch | undefined;
}
