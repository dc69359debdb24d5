/**
 * Where a trace request's rows are built: by the store writer after the ack while the log's backlog is small (the
 * request is logged as it arrived), on the ack path once the backlog passes `buildRowsOnAckAboveBytes` (the
 * request is logged as rows), so a receiver behind its store paces its clients instead of filling the log.
 */
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { Ingestor } from '../../collector/ingest/ingestor.ts';
import { StoreWriter } from '../../collector/ingest/store-writer.ts';
import { WriteAheadLog } from '../../collector/ingest/write-ahead-log.ts';
import { decodeTracesProtobuf } from '../../collector/otlp/index.ts';
import type { Store } from '../../src/store/client.ts';
import { recordSpans } from '../helpers/export-spans.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const limits = { maxAttributeBytes: 1 << 20 };

describe('an ingestor with a store writer behind it', () => {
  it('logs trace requests as they arrived under a small backlog, and as rows over the bound', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(join(directory, 'wal'), { sync: 'none' });
    // Never started: nothing leaves the log, so its backlog is what this test appends.
    const writer = new StoreWriter({} as Store, log, directory);
    const ingestor = new Ingestor(log, writer, {
      maxPendingBytes: 1 << 30,
      maxLogBytes: 1 << 30,
      buildRowsOnAckAboveBytes: 4096,
    });
    const spans = await recordSpans((tracer) => {
      tracer
        .startSpan('chat', {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.input.messages': JSON.stringify([
              { role: 'user', parts: [{ type: 'text', content: 'a question long enough to store. '.repeat(10) }] },
            ]),
          },
        })
        .end();
    });
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    const send = () =>
      ingestor.ingestTraceRequest(
        { tenant: 'acme', encoding: 'protobuf', limits, body },
        decodeTracesProtobuf(body, limits),
      );

    expect(await send()).toEqual({ status: 'accepted' });
    await log.append([{ table: 'events', rows: 1, payload: Buffer.alloc(8192, 0x20) }]);
    expect(await send()).toEqual({ status: 'accepted' });

    const { records } = await log.read(log.checkpoint, 1 << 30);
    expect(records.map((record) => record.table)).toEqual(['otlp_traces', 'events', 'contents', 'spans']);
    expect(records[0]).toMatchObject({ rows: 1 });
    expect(records[3]!.payload.toString()).toContain('"tenant":"acme"');
    await log.close();
  });
});
