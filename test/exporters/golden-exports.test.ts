import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatNames } from '../../src/exporters/formats/index.ts';
import { goldenExport, goldenFile, optionVariants } from './golden-exports.ts';

const cases = formatNames.flatMap((format) => Object.keys(optionVariants).map((variant) => [format, variant] as const));

describe('every format writes the bytes it wrote before the refactor', () => {
  it.each(cases)(
    '%s with the %s options: same JSONL bytes, same exported and skipped trajectories',
    async (format, variant) => {
      const result = await goldenExport(format, variant);
      expect(result.bytes).toBe(readFileSync(goldenFile(format, variant, 'jsonl'), 'utf8'));
      expect(result.summary).toEqual(JSON.parse(readFileSync(goldenFile(format, variant, 'summary.json'), 'utf8')));
    },
  );
});
