/**
 * Limits the decoders enforce per item. They are passed in rather than read from configuration so the decoders
 * stay pure functions of (body, limits) and the CLI/config layer owns defaults and validation.
 */

export interface DecodeLimits {
  /**
   * Largest encoded size in bytes of one attribute value, event attribute value or log body. A span or log record
   * carrying a larger value is rejected (counted in the partial-success answer), not truncated, because a
   * silently shortened prompt would corrupt the training data built from it.
   */
  maxAttributeBytes: number;
}

/**
 * How deeply AnyValues (arrays and kvlists) may nest, in either encoding. The bound keeps a hostile body from
 * exhausting the stack or the CPU; a request past it is refused whole (400), as a malformed one is.
 */
export const MAX_ANY_VALUE_DEPTH = 64;

export const ANY_VALUE_TOO_DEEP = `AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`;
