/**
 * Token-count rules shared by all conventions. Agent spans and SDK wrapper spans report the sum of the LLM calls
 * below them; the canonical token columns are summed per trace, so such spans keep their counts only in the
 * original attributes.
 */
import type { SpanMapping } from '../model/span.ts';

const TOKEN_FIELDS = [
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_creation_tokens',
  'reasoning_tokens',
] as const satisfies ReadonlyArray<keyof SpanMapping>;

export type TokenField = (typeof TOKEN_FIELDS)[number];

/** Removes the token columns from a mapping (in place) and returns it. */
export function stripTokenCounts(mapping: SpanMapping): SpanMapping {
  for (const field of TOKEN_FIELDS) delete mapping[field];
  return mapping;
}

/** Sets a token column when the value is a non-negative count; ignores absent or nonsensical values. */
export function setTokenCount(mapping: SpanMapping, field: TokenField, value: number | undefined): void {
  if (value !== undefined && value >= 0 && mapping[field] === undefined) mapping[field] = Math.trunc(value);
}
