/**
 * Fitting rendered examples into a token budget, counted with a real BPE (o200k_base, the GPT-4o family's). Examples
 * go in best first; one that does not fit whole loses middle steps (task and final answer stay) if that makes it
 * fit, else it is left out and later, smaller ones may still go in. The count is of the joined prompt itself, so
 * the promise `tokens <= max_tokens` holds for exactly the text returned.
 */
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { exampleText, type RenderedTrajectory } from './render-trajectory.ts';

export const tokenizerName = 'o200k_base';

/** Between examples in the prompt. */
export const exampleSeparator = '\n\n';

/** Tokens of `text`; special-token strings (`<|endoftext|>`) in stored text are counted as plain text, not refused. */
export function countTokens(text: string): number {
  return countO200k(text, { disallowedSpecial: new Set() });
}

export interface FittedExample {
  rendered: RenderedTrajectory;
  /** Middle steps dropped to fit (0 when whole). */
  omitted: number;
  text: string;
  tokens: number;
}

export interface FittedPrompt {
  examples: FittedExample[];
  prompt: string;
  tokens: number;
  truncated: boolean;
}

/**
 * The fewest middle steps to omit so that `fits` holds, or undefined when not even dropping all of them does. Dropping
 * more steps never lengthens the text, so the search halves the range instead of counting every option.
 */
function fewestOmitted(steps: number, fits: (omitted: number) => boolean): number | undefined {
  if (fits(0)) return 0;
  if (steps === 0 || !fits(steps)) return undefined;
  let low = 1;
  let high = steps;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}

export function fitExamples(candidates: RenderedTrajectory[], maxTokens: number): FittedPrompt {
  const examples: FittedExample[] = [];
  let prompt = '';
  let tokens = 0;
  let truncated = false;
  for (const rendered of candidates) {
    const joined = (omitted: number) => {
      const text = exampleText(rendered, omitted);
      return prompt === '' ? text : prompt + exampleSeparator + text;
    };
    const omitted = fewestOmitted(rendered.steps.length, (count) => countTokens(joined(count)) <= maxTokens);
    if (omitted === undefined) {
      truncated = true;
      continue;
    }
    if (omitted > 0) truncated = true;
    const text = exampleText(rendered, omitted);
    prompt = joined(omitted);
    tokens = countTokens(prompt);
    examples.push({ rendered, omitted, text, tokens: countTokens(text) });
  }
  return { examples, prompt, tokens, truncated };
}
