/**
 * Where the health rule's inputs come from in a running receiver: the store writer, the write-ahead log and the
 * ingest bounds. Read on every `/healthz` request and every scrape, so the answer is never stale.
 */
import type { StoreWriter } from '../ingest/store-writer.ts';
import type { WriteAheadLog } from '../ingest/write-ahead-log.ts';
import type { DeadLetterState, DiskState, HealthInputs } from './health.ts';

export interface HealthSources {
  storeKind: 'embedded' | 'server';
  writer: StoreWriter;
  wal: WriteAheadLog;
  maxPendingBytes: number;
  maxLogBytes: number;
}

/**
 * Hook for the store writer's dead-letter counts (`writer.deadLetter`, rows and bytes), which is being added to
 * store-writer.ts; until it exists the check reports `unknown`. Read structurally so this module compiles both
 * before and after.
 */
function deadLetterOf(writer: StoreWriter): DeadLetterState | undefined {
  const reported = (writer as { deadLetter?: Partial<DeadLetterState> }).deadLetter;
  if (!reported || typeof reported.rows !== 'number') return undefined;
  return { rows: reported.rows, bytes: reported.bytes ?? 0 };
}

/**
 * Hook for the write-ahead log's disk-space state (`wal.diskSpace`: `{ low, freeBytes }`), which is being added
 * to write-ahead-log.ts; until it exists the check reports `unknown`.
 */
function diskOf(wal: WriteAheadLog): DiskState | undefined {
  const reported = (wal as { diskSpace?: Partial<DiskState> }).diskSpace;
  if (!reported || typeof reported.low !== 'boolean') return undefined;
  return { low: reported.low, freeBytes: reported.freeBytes };
}

export function readHealthInputs(sources: HealthSources): HealthInputs {
  return {
    storeKind: sources.storeKind,
    storeFailing: sources.writer.storeFailing,
    logFailed: sources.wal.failure !== undefined,
    pendingBytes: sources.wal.pendingBytes,
    maxPendingBytes: sources.maxPendingBytes,
    maxLogBytes: sources.maxLogBytes,
    deadLetter: deadLetterOf(sources.writer),
    disk: diskOf(sources.wal),
  };
}
