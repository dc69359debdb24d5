/**
 * The contents (tenant, trace, hash) this receiver has already put in the write-ahead log, so a later request of
 * the same trace (the next model call of an agent loop, re-sending the history) refers to them without writing
 * them again. Bounded: the oldest keys are forgotten first, and forgetting one only costs writing that content
 * again (the `contents` table collapses the copy). A key is remembered only after the record holding it is
 * durable in the log, so a refused request never leaves a reference to content that was not written.
 */
export class RecentContents {
  private readonly capacity: number;
  private readonly keys = new Set<string>();

  constructor(capacity = 200_000) {
    this.capacity = capacity;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  remember(keys: readonly string[]): void {
    for (const key of keys) this.keys.add(key);
    if (this.keys.size <= this.capacity) return;
    // A Set iterates in insertion order: drop the oldest tenth at once rather than one key per insert.
    let excess = this.keys.size - Math.floor(this.capacity * 0.9);
    for (const key of this.keys) {
      if (excess-- <= 0) break;
      this.keys.delete(key);
    }
  }
}
