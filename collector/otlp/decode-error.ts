/**
 * The one error an undecodable OTLP request body produces. The transports turn it into HTTP 400 /
 * gRPC INVALID_ARGUMENT, which clients must not retry, so its message has to tell a human what to fix: it names
 * where in the request the problem sits (e.g. `ResourceSpans[0].ScopeSpans[1].Span[3]`) and what was wrong.
 */

export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
  /** Location inside the request, outermost first; '' when the problem concerns the whole body. */
  readonly path: string;
  /** What was wrong, without the location. */
  readonly reason: string;

  constructor(reason: string, path = '') {
    super(path === '' ? reason : `${path}: ${reason}`);
    this.reason = reason;
    this.path = path;
  }

  /**
   * The same problem one level further out. Nested decoders only know their own position, so each level catches,
   * prepends its segment and rethrows; this keeps the hot path free of any path bookkeeping.
   */
  within(segment: string): OtlpDecodeError {
    if (this.path === '') return new OtlpDecodeError(this.reason, segment);
    const separator = this.path.startsWith('[') ? '' : '.';
    return new OtlpDecodeError(this.reason, `${segment}${separator}${this.path}`);
  }
}

/** Rethrows `error` located inside `segment`; errors that are not decode errors (bugs) pass through untouched. */
export function rethrowWithin(error: unknown, segment: string): never {
  if (error instanceof OtlpDecodeError) throw error.within(segment);
  throw error;
}

/**
 * Decodes the embedded message at the reader's position with `decode`, and locates any decode error inside it as
 * `name` or `name[index]` (index -1: none). The label is only built when something failed.
 */
export function decodeEmbedded<T>(
  reader: { enterMessage(): number; exitMessage(outerEnd: number): void },
  name: string,
  index: number,
  decode: () => T,
): T {
  const outer = reader.enterMessage();
  let value: T;
  try {
    value = decode();
  } catch (error) {
    rethrowWithin(error, index < 0 ? name : `${name}[${index}]`);
  }
  reader.exitMessage(outer);
  return value;
}
