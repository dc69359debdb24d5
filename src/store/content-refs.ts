/**
 * Content stored once per trace. An agent loop re-sends its whole history with every model call, so a trajectory
 * of n calls carries O(n^2) message bytes; the store keeps each distinct message (and each distinct piece of a
 * long attribute value) once per trace in the `contents` table, addressed by a hash, and the span row holds the
 * hashes. `resolved-spans.sql` (for SQL readers) and `trace-contents.ts` (for TypeScript readers) put the text
 * back, byte for byte.
 *
 * The rule that makes reconstruction exact: a JSON array is split into its elements only when rebuilding it from
 * them gives the same string, checked here at ingest; any other long value (an object, a JSON array with mixed
 * separators) is stored whole as one content; a string that is not well-formed UTF-16, which cannot round-trip
 * through ClickHouse's UTF-8, stays inline in the row.
 */
import { hash } from 'node:crypto';

/** Hex characters kept of the SHA-1: 64 bits, unique enough within one trace (the scope of a lookup). */
const hashLength = 16;

/** String attribute values at least this long are stored as content; shorter ones cost less inline. */
export const minReferencedAttributeLength = 256;

export function contentHash(text: string): string {
  return hash('sha1', text, 'hex').slice(0, hashLength);
}

/** A long attribute value as pieces: `open + pieces.join(separator) + close` is the original string. */
export interface AttributeRef {
  key: string;
  open: string;
  separator: string;
  close: string;
  refs: string[];
}

/**
 * The distinct contents one ingest request adds, per trace, minus those an earlier request already put in the
 * write-ahead log (`known`). Rows are JSONEachRow lines for the `contents` table.
 */
export class ContentCollector {
  private readonly tenant: string;
  private readonly known: (key: string) => boolean;
  private readonly seen = new Set<string>();
  readonly lines: string[] = [];
  /** Keys of the contents this request adds, to be marked known once the request is durable. */
  readonly keys: string[] = [];
  // Per trace, built once in forTrace: every content of a span shares them (this runs per message on ingest).
  private keyPrefix = '';
  private linePrefix = '';

  constructor(tenant: string, known: (key: string) => boolean = () => false) {
    this.tenant = tenant;
    this.known = known;
    this.forTrace('');
  }

  /** The trace the following `add` calls belong to. */
  forTrace(traceId: string): this {
    this.keyPrefix = `${this.tenant}\u0000${traceId}\u0000`;
    this.linePrefix = `{"tenant":${JSON.stringify(this.tenant)},"trace_id":${JSON.stringify(traceId)},"hash":"`;
    return this;
  }

  /** Stores the text (once) and returns its hash. */
  add(text: string): string {
    const contentKey = contentHash(text);
    const key = this.keyPrefix + contentKey;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      if (!this.known(key)) {
        this.keys.push(key);
        this.lines.push(`${this.linePrefix}${contentKey}","text":${JSON.stringify(text)}}`);
      }
    }
    return contentKey;
  }
}

/** Whether the quote at `index` is escaped: preceded by an odd number of backslashes. */
function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  while (index - backslashes - 1 >= 0 && text.charCodeAt(index - backslashes - 1) === 0x5c) backslashes++;
  return backslashes % 2 === 1;
}

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * Splits the text of a JSON array into the exact source text of its elements, or returns undefined when the text
 * is not a JSON array whose elements are separated by one and the same separator (`,` or `, ` are what SDKs write).
 * It only finds element boundaries (strings, nesting); it does not validate, and the caller checks that the pieces
 * rebuild the original exactly.
 */
export function splitJsonArray(
  text: string,
): { open: string; separator: string; close: string; elements: string[] } | undefined {
  let start = 0;
  while (start < text.length && isJsonWhitespace(text.charCodeAt(start))) start++;
  if (text.charCodeAt(start) !== 0x5b /* [ */) return undefined;
  let end = text.length;
  while (end > start && isJsonWhitespace(text.charCodeAt(end - 1))) end--;
  if (text.charCodeAt(end - 1) !== 0x5d /* ] */ || end - 1 <= start) return undefined;
  const inner = end - 1;
  let position = start + 1;
  while (position < inner && isJsonWhitespace(text.charCodeAt(position))) position++;
  const open = text.slice(0, position);
  if (position === inner) return undefined; // an empty array has nothing worth referencing
  const elements: string[] = [];
  let separator: string | undefined;
  let elementStart = position;
  let depth = 0;
  for (; position < inner; position++) {
    const code = text.charCodeAt(position);
    if (code === 0x22 /* " */) {
      // Jump to the closing quote (native search: message text is mostly string content), skipping escaped ones.
      let close = text.indexOf('"', position + 1);
      while (close !== -1 && isEscaped(text, close)) close = text.indexOf('"', close + 1);
      if (close === -1 || close >= inner) return undefined;
      position = close;
      continue;
    } else if (code === 0x5b || code === 0x7b /* { */) depth++;
    else if (code === 0x5d || code === 0x7d /* } */) depth--;
    else if (code === 0x2c /* , */ && depth === 0) {
      let elementEnd = position;
      while (elementEnd > elementStart && isJsonWhitespace(text.charCodeAt(elementEnd - 1))) elementEnd--;
      let next = position + 1;
      while (next < inner && isJsonWhitespace(text.charCodeAt(next))) next++;
      const thisSeparator = text.slice(elementEnd, next);
      if (separator === undefined) separator = thisSeparator;
      else if (separator !== thisSeparator) return undefined;
      elements.push(text.slice(elementStart, elementEnd));
      elementStart = next;
      position = next - 1;
    }
    if (depth < 0) return undefined;
  }
  if (depth !== 0) return undefined;
  let lastEnd = inner;
  while (lastEnd > elementStart && isJsonWhitespace(text.charCodeAt(lastEnd - 1))) lastEnd--;
  elements.push(text.slice(elementStart, lastEnd));
  return { open, separator: separator ?? ',', close: text.slice(lastEnd), elements };
}

/**
 * Moves the long string values of an attribute set into `contents`: a JSON array value (message lists, tool
 * definitions) element by element, anything else whole. Returns the attributes that stay inline (the same object
 * when nothing moved) and the references; every reference is checked to rebuild its value exactly.
 */
export function referenceLongAttributes(
  attributes: Record<string, unknown>,
  contents: ContentCollector,
): { inline: Record<string, unknown>; refs: AttributeRef[] } {
  let refs: AttributeRef[] | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value !== 'string' || value.length < minReferencedAttributeLength || !value.isWellFormed()) continue;
    const split = splitJsonArray(value);
    let ref: AttributeRef;
    if (split && split.open + split.elements.join(split.separator) + split.close === value) {
      ref = {
        key,
        open: split.open,
        separator: split.separator,
        close: split.close,
        refs: split.elements.map((element) => contents.add(element)),
      };
    } else {
      ref = { key, open: '', separator: '', close: '', refs: [contents.add(value)] };
    }
    (refs ??= []).push(ref);
  }
  if (!refs) return { inline: attributes, refs: [] };
  const inline: Record<string, unknown> = {};
  const moved = new Set(refs.map((ref) => ref.key));
  for (const key in attributes) {
    // defineProperty, not assignment: an attribute named `__proto__` must stay an attribute (as the decoders keep it).
    if (!moved.has(key)) {
      Object.defineProperty(inline, key, {
        value: attributes[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return { inline, refs };
}
