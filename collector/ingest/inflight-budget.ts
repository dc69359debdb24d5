/**
 * Bounds the memory held by export requests that are being read and decoded, across both transports: request
 * bodies are the receiver's only memory that grows with load, so past this budget requests are refused with
 * 429 / RESOURCE_EXHAUSTED instead of being buffered.
 *
 * A request is charged for the bytes it has actually sent, as they arrive, never for what it declares: a client
 * that announces 32 MiB and trickles holds only what it sent, so slow clients cannot reserve the budget away from
 * the others.
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

  get limitBytes(): number {
    return this.limit;
  }

  /** True when nothing more fits: a new request is refused before any of it is read. */
  get exhausted(): boolean {
    return this.used >= this.limit;
  }

  /** One request's share of the budget; it starts empty and grows as its bytes arrive. */
  open(): InflightReservation {
    return new InflightReservation(this);
  }

  /** Whether `bytes` more fit beside the `ownBytes` the asking request already holds. */
  tryCharge(bytes: number, ownBytes: number): boolean {
    // A request alone in the budget may exceed it: the request size limit bounds it, and refusing it would make a
    // budget smaller than the largest request refuse that request forever.
    if (this.used > ownBytes && this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  discharge(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

export class InflightReservation {
  private held = 0;
  private released = false;

  constructor(private readonly budget: InflightBudget) {}

  get heldBytes(): number {
    return this.held;
  }

  /**
   * Charges `bytes` more to this request; false (and nothing charged) when the budget cannot take them, or the
   * reservation was released (its request is over, whatever still arrives for it is not kept).
   */
  grow(bytes: number): boolean {
    if (this.released) return false;
    if (!this.budget.tryCharge(bytes, this.held)) return false;
    this.held += bytes;
    return true;
  }

  /** Grows the reservation to `bytes` in total, if it holds less. */
  growTo(bytes: number): boolean {
    return bytes <= this.held || this.grow(bytes - this.held);
  }

  /** Returns everything held; idempotent, so every exit path may call it. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.discharge(this.held);
    this.held = 0;
  }
}
