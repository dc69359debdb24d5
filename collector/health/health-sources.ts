/**
 * Where the health rule's inputs come from in a running receiver: the store writer, the write-ahead log and the
 * ingest bounds. Read on every `/healthz` request and every scrape, so the answer is never stale.
 */
import type { StoreWriter } from '../ingest/store-writer.ts';
import type { WriteAheadLog } from '../ingest/write-ahead-log.ts';
import type { HealthInputs } from './health.ts';

export interface HealthSources {
  storeKind: 'embedded' | 'server';
  writer: StoreWriter;
  wal: WriteAheadLog;
  maxPendingBytes: number;
  maxLogBytes: number;
}

export function readHealthInputs(sources: HealthSources): HealthInputs {
  return {
    storeKind: sources.storeKind,
    storeFailing: sources.writer.storeFailing,
    logFailed: sources.wal.failure !== undefined,
    pendingBytes: sources.wal.pendingBytes,
    maxPendingBytes: sources.maxPendingBytes,
    maxLogBytes: sources.maxLogBytes,
    deadLetter: sources.writer.deadLetter,
    disk: sources.wal.diskSpace,
    logDamage: sources.wal.damage,
  };
}
