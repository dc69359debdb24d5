/**
 * Assembly written once as generators that yield between pieces of work, run two ways: straight through (the
 * summarizer's and the unit tests' synchronous calls) or giving the event loop a turn every few milliseconds (the
 * API's and exports' reads, where one 20k-span trajectory would otherwise hold the receiver's loop for a quarter
 * second or more). A step is a few hundred spans or turns, so the yields cost little either way.
 */
import { EventLoopTurns } from '../store/event-loop-turns.ts';

export type AssemblySteps<T> = Generator<void, T, void>;

/** Items between two yields of a step loop. */
export const itemsPerStep = 256;

export function runSteps<T>(steps: AssemblySteps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export async function runStepsYielding<T>(steps: AssemblySteps<T>): Promise<T> {
  const turns = new EventLoopTurns();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await turns.maybeYield();
  }
}
