import { describe, expect, it } from 'vitest';
import { HeavyReadGate } from '../../collector/api/read-limits.ts';
import { HttpError } from '../../collector/http/http-error.ts';

/** A read that finishes when the test says so. */
function heldRead() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { finish, work: () => done };
}

describe('HeavyReadGate', () => {
  it('runs as many reads as it has slots, queues the next in order and refuses beyond the queue with 503', async () => {
    const gate = new HeavyReadGate({ heavyReadSlots: 2, heavyReadQueue: 1 });
    const started: string[] = [];
    const reads = ['a', 'b', 'c'].map((name) => {
      const read = heldRead();
      const result = gate.run(async () => {
        started.push(name);
        await read.work();
        return name;
      });
      return { ...read, result };
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b']);

    const refused = await gate.run(async () => 'd').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(503);
    expect((refused as HttpError).message).toContain('retry later');
    expect((refused as HttpError).headers['Retry-After']).toBe('5');

    reads[0]!.finish();
    expect(await reads[0]!.result).toBe('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b', 'c']);
    reads[1]!.finish();
    reads[2]!.finish();
    expect(await Promise.all(reads.map((read) => read.result))).toEqual(['a', 'b', 'c']);
    // Every slot is free again: two reads start at once.
    const again = [heldRead(), heldRead()];
    const running = again.map((read) => gate.run(read.work));
    again.forEach((read) => read.finish());
    await Promise.all(running);
  });

  it('frees the slot of a read that failed', async () => {
    const gate = new HeavyReadGate({ heavyReadSlots: 1, heavyReadQueue: 0 });
    await expect(gate.run(() => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(await gate.run(async () => 'next')).toBe('next');
  });
});
