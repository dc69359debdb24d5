/**
 * One receiver with two tenants and a small history per tenant, shared by the context interface tests: team-a's
 * planner books flights (one booking fails on an unavailable seat) and trains, its writer summarises reports;
 * team-b has one flight of its own that team-a must never see.
 */
import type { Receiver } from '../../collector/receiver.ts';
import type { TrajectorySummary } from '../../src/model/trajectory.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import { storeRuns, type PastRun } from './context-history.ts';

export const tokenA = 'context-token-a';
export const tokenB = 'context-token-b';

export const teamARuns: PastRun[] = [
  {
    agent: 'planner',
    task: 'Book a flight from Paris to Berlin next Monday',
    taskId: 'book-flight',
    calls: [
      { name: 'search_flights', args: { from: 'CDG', to: 'BER' }, result: 'AF1234 at 09:10, LH2231 at 12:40' },
      { name: 'book_flight', args: { flight: 'AF1234' }, result: 'confirmation K7Q2' },
    ],
    answer: 'Booked AF1234 on Monday at 09:10, confirmation K7Q2.',
    reward: 1,
  },
  {
    agent: 'planner',
    task: 'Book a flight from Lyon to Rome next Friday',
    taskId: 'book-flight',
    calls: [
      { name: 'search_flights', args: { from: 'LYS', to: 'FCO' }, result: 'AZ331 at 07:00' },
      { name: 'book_flight', args: { flight: 'AZ331' }, result: 'seat unavailable', error: true },
    ],
    answer: 'I could not book the flight.',
    reward: 0,
  },
  {
    agent: 'planner',
    task: 'Book a train from Paris to Brussels on Tuesday',
    calls: [
      { name: 'search_trains', args: { from: 'Paris', to: 'Brussels' }, result: 'Eurostar 9313 at 08:25' },
      { name: 'book_train', args: { train: '9313' }, result: 'ticket 55A' },
    ],
    answer: 'Booked Eurostar 9313 on Tuesday at 08:25, ticket 55A.',
    reward: 1,
  },
  {
    agent: 'writer',
    task: 'Summarize the quarterly sales report',
    calls: [{ name: 'read_file', args: { path: 'sales-q3.pdf' }, result: 'Revenue grew 12%.' }],
    answer: 'Sales grew 12% in the quarter.',
    reward: 1,
  },
];

export const teamBRuns: PastRun[] = [
  {
    agent: 'planner',
    task: 'Book a flight from Paris to Madrid next Monday',
    calls: [{ name: 'search_flights', args: { from: 'CDG', to: 'MAD' }, result: 'IB3401 at 10:00' }],
    answer: 'Found IB3401.',
    reward: 1,
  },
];

export interface ContextFixture {
  receiver: Receiver;
  teamA: TrajectorySummary[];
  teamB: TrajectorySummary[];
  /** team-a's trajectory of a task text. */
  idOf(task: string): string;
}

export async function startContextFixture(): Promise<ContextFixture> {
  const receiver = await startTestReceiver({ quietSeconds: 0, authTokens: `${tokenA}=team-a,${tokenB}=team-b` });
  const teamA = await storeRuns(receiver, tokenA, teamARuns);
  const teamB = await storeRuns(receiver, tokenB, teamBRuns);
  const idOf = (task: string) => {
    const found = teamA.find((summary) => summary.task === task);
    if (!found) throw new Error(`no stored trajectory for ${task}`);
    return found.id;
  };
  return { receiver, teamA, teamB, idOf };
}
