/**
 * JSON.parse for JSON held in attribute text, with strings made well-formed. The attribute text itself is
 * well-formed (the decoders see to that), but JSON can spell a lone surrogate as an escape (`"\ud83d"`, text cut
 * mid-emoji by an SDK's length limit), and JSON.parse turns the escape into the lone surrogate itself. ClickHouse
 * refuses such strings, so a derived column holding one would send the whole span to the dead-letter file. Only
 * text that contains a surrogate escape at all pays for the walk.
 */
const surrogateEscape = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.isWellFormed() ? value : value.toWellFormed();
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a "__proto__" key from the JSON stays a plain key, as JSON.parse makes it.
      Object.defineProperty(result, wellFormed(key) as string, {
        value: wellFormed(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }
  return value;
}

/** JSON.parse(text), every string and key well-formed UTF-16; throws as JSON.parse does. */
export function parseJsonText(text: string): unknown {
  const parsed = JSON.parse(text) as unknown;
  return surrogateEscape.test(text) ? wellFormed(parsed) : parsed;
}
