/**
 * OTLP/JSON writes int64 and fixed64 values as decimal strings, but receivers must accept numbers too, and
 * `JSON.parse` rounds numbers above 2^53, as every nanosecond time since April 1970 is (today's to a multiple of
 * 256 ns), and large intValues. Before parsing, such number literals in the fields that hold them are
 * wrapped in quotes, which the schema reads exactly and treats as the same value the number means.
 *
 * One regular expression over the text, instead of a JSON parser that keeps numbers exact (json-bigint,
 * lossless-json): those build strings a character at a time, 5-95x slower than `JSON.parse` on a 5 MB body of
 * long prompts, where the pass costs a quarter of the parse (a little more than the parse when it quotes 4,000
 * times; 4-20% of the whole decode).
 *
 * Why it cannot touch string content: a match begins with `{` or `,`, optional whitespace and `"`. Inside a JSON
 * string every `"` is escaped, so `{"` or `,"` can only be a key's opening quote. A key spelt with `\u` escapes
 * is not recognised and its number is read as `JSON.parse` reads it.
 */

/** The int64 (intValue) and fixed64 (times) members of traces and logs, in both spellings the schema takes. */
const INTEGER_KEYS = [
  'intValue',
  'int_value',
  'timeUnixNano',
  'time_unix_nano',
  'startTimeUnixNano',
  'start_time_unix_nano',
  'endTimeUnixNano',
  'end_time_unix_nano',
  'observedTimeUnixNano',
  'observed_time_unix_nano',
];

const WHITESPACE = '[ \\t\\n\\r]*';

/**
 * An integer literal of 16 digits or more (every 15-digit one is below 2^53; a 16-digit one may not be) as a
 * whole member value: no leading zero (that would be invalid JSON, which must stay invalid), no fraction or
 * exponent (those are doubles, which the schema refuses for these fields either way).
 */
const LARGE_INTEGER_MEMBER = new RegExp(
  `([{,]${WHITESPACE}"(?:${INTEGER_KEYS.join('|')})"${WHITESPACE}:${WHITESPACE})(-?[1-9]\\d{15,})(?=${WHITESPACE}[,}])`,
  'g',
);

/** `text` with the large integer values of int64/fixed64 members quoted; the same string when there are none. */
export function quoteLargeIntegers(text: string): string {
  return text.replace(LARGE_INTEGER_MEMBER, '$1"$2"');
}
