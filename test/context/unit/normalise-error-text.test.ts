import { describe, expect, it } from 'vitest';
import { normaliseErrorText } from '../../../src/context/failures.ts';

describe('normaliseErrorText', () => {
  it('groups occurrences of one failure that differ in numbers, ids and quoted paths', () => {
    const variants = [
      `ENOENT: no such file '/tmp/run-12/out.json' (request 3f2a9c1d-0b4e-4c5a-9e8f-1a2b3c4d5e6f, 120 ms)`,
      `ENOENT: no such file "C:\\data\\run 7.json" (request 0x7ffee3b4, 9.5 ms)`,
      `ENOENT:  no such file '/var/x'   (request deadbeef42, 3 ms)`,
    ];
    const normalised = new Set(variants.map(normaliseErrorText));
    expect([...normalised]).toEqual(['ENOENT: no such file <path> (request <id>, N ms)']);
  });

  it('keeps words, blanks nothing else and cuts long texts short', () => {
    expect(normaliseErrorText('rate limited: retry later')).toBe('rate limited: retry later');
    expect(normaliseErrorText('')).toBe('(no error text)');
    expect(normaliseErrorText('x'.repeat(500))).toHaveLength(120);
  });
});
