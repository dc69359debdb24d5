/**
 * What one read of a trajectory or a trace may make the receiver do. A read costs about its span count (parse,
 * resolve, assemble, serialize all walk every span), so a read over `maxSpansPerRead` is refused with a message
 * naming the limit and the paged read to use instead, and reads over `heavyReadSpans` take one of a few slots:
 * ten clients reading huge trajectories at once queue behind each other instead of starving ingest, while small
 * reads never wait. A heavy read keeps its slot while its answer streams, so a client that stops reading would keep
 * it forever: a write that waits more than `writeStallMillis` for the socket to drain closes the connection and
 * frees the slot (stream-json.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { HttpError } from '../http/http-error.ts';

export interface ReadLimits {
  /** The most spans one read of a trajectory or a whole trace serves; a paged trace read serves at most this many. */
  maxSpansPerRead: number;
  /** Reads of more spans than this are heavy and wait for a slot. */
  heavyReadSpans: number;
  /** Heavy reads running at once. */
  heavyReadSlots: number;
  /** Heavy reads waiting for a slot; one more is answered 503. */
  heavyReadQueue: number;
  /** Longest wait for a client to take more of an answer before its connection is closed. */
  writeStallMillis: number;
}

export const defaultReadLimits: ReadLimits = {
  // A 20k-span trajectory reads in about a second on one core; 50k keeps one answer within a few seconds and
  // a few hundred MB.
  maxSpansPerRead: 50_000,
  heavyReadSpans: 2_000,
  heavyReadSlots: 2,
  heavyReadQueue: 16,
  // A reader on a slow link drains a 256 KiB chunk in a few seconds; one that waits this long has stopped reading.
  writeStallMillis: 30_000,
};

/** Admits heavy reads a few at a time, in arrival order. */
export class HeavyReadGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limits: Pick<ReadLimits, 'heavyReadSlots' | 'heavyReadQueue'>) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limits.heavyReadSlots) {
      if (this.waiting.length >= this.limits.heavyReadQueue) {
        throw new HttpError(
          503,
          `${this.running} large reads are running and ${this.waiting.length} waiting, the most this receiver ` +
            'takes at once; retry later',
          { 'Retry-After': '5' },
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter, so `running` counts it without a gap a newcomer could take.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * One gate per store: the trace and trajectory routes are registered separately but read the same store on the
 * same event loop, so they must share their slots.
 */
const gates = new WeakMap<ClickHouseClient, HeavyReadGate>();

export function heavyReadGateFor(client: ClickHouseClient, limits: ReadLimits): HeavyReadGate {
  let gate = gates.get(client);
  if (!gate) {
    gate = new HeavyReadGate(limits);
    gates.set(client, gate);
  }
  return gate;
}

export function resolveReadLimits(limits: Partial<ReadLimits> = {}): ReadLimits {
  return { ...defaultReadLimits, ...limits };
}

/** Runs a read of `spans` spans within the limits: refused over the maximum, through the gate when heavy. */
export async function withinReadLimits<T>(
  gate: HeavyReadGate,
  limits: ReadLimits,
  spans: number,
  tooLarge: () => string,
  read: () => Promise<T>,
): Promise<T> {
  if (spans > limits.maxSpansPerRead) throw new HttpError(422, tooLarge());
  return spans > limits.heavyReadSpans ? gate.run(read) : read();
}
