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
