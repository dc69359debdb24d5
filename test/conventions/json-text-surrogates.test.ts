/**
 * JSON held in attribute text can spell a lone surrogate as an escape (text cut mid-emoji before it was
 * serialized). The mapping must not turn that escape into a lone surrogate in a derived column: ClickHouse refuses
 * such strings and the whole span would be dead-lettered after it was acknowledged.
 */
import { describe, expect, test } from 'vitest';
import { mapSpan } from '../../src/conventions/index.ts';
import { parseJsonText } from '../../src/conventions/parse-json-text.ts';
import { fixtureSpan } from './fixture-span.ts';

/** Every string (and key) anywhere in a value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)]);
  return [];
}

describe('JSON attribute text with surrogate escapes', () => {
  test('a GenAI message cut mid-emoji maps to well-formed text with U+FFFD', () => {
    const mapping = mapSpan(
      fixtureSpan({
        name: 'chat gpt-4o',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"plan a trip \\ud83d"}]}]',
          'gen_ai.output.messages':
            '[{"role":"assistant","parts":[{"type":"text","content":"sure \\ud83d\\ude00 \\udc00"}]}]',
        },
      }),
    );
    const texts = strings(mapping);
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) expect(text.isWellFormed(), JSON.stringify(text)).toBe(true);
    expect(texts).toContain('plan a trip \uFFFD');
    // A valid pair stays the emoji; only the lone half is replaced.
    expect(texts).toContain('sure \u{1F600} \uFFFD');
  });

  test('keys are made well-formed too, and "__proto__" stays a plain key', () => {
    const parsed = parseJsonText('{"\\ud800":1,"__proto__":{"a":"\\udfff"}}') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['\uFFFD', '__proto__']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(parsed['__proto__']).toEqual({ a: '\uFFFD' });
  });

  test('text without surrogate escapes parses exactly as JSON.parse does', () => {
    const text = '{"a":["\\u00e9","\\ud83d\\ude00"],"b":{"c":null}}';
    expect(parseJsonText(text)).toEqual(JSON.parse(text));
  });
});
