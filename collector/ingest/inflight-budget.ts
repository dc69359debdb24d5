/**
 * Bounds the memory held by export requests that are being read and decoded, across both transports: request
 * bodies are the receiver's only memory that grows with load, so past this budget new requests are refused with
 * 429 / RESOURCE_EXHAUSTED instead of being buffered.
 */
export class InflightBudget {
  private used = 0;
  private readonly limit: number;

  constructor(limitBytes: number) {
    this.limit = limitBytes;
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Reserves `bytes`; false when that would exceed the budget (one request alone is always allowed). */
  tryReserve(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
