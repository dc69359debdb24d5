/**
 * Long synchronous loops over a big read (parsing a trace's rows, resolving its spans) give the event loop a turn
 * every few milliseconds, so acknowledgements and health checks of the same process are not held behind them.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long a loop may run before it yields; a few ms keeps the loop responsive and the overhead small. */
const sliceMillis = 5;

export class EventLoopTurns {
  private sliceStart = performance.now();

  /** Yields when the current slice has run its time; cheap to call on every item. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.sliceStart < sliceMillis) return;
    await nextTurn();
    this.sliceStart = performance.now();
  }
}

/** `items.map(convert)`, yielding to the event loop between slices. */
export async function mapYielding<T, R>(items: readonly T[], convert: (item: T) => R): Promise<R[]> {
  const turns = new EventLoopTurns();
  const results = new Array<R>(items.length);
  for (let index = 0; index < items.length; index++) {
    results[index] = convert(items[index] as T);
    // performance.now() per item would cost more than most conversions: look at the clock every 64.
    if ((index & 63) === 63) await turns.maybeYield();
  }
  return results;
}
