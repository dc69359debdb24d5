/**
 * The receiver's Prometheus metrics (`GET /metrics`, text exposition format), on prom-client. One registry per
 * receiver, not prom-client's global one, so two receivers in one process (tests, embedding applications) count
 * separately. Components take the instance they are given and count what they see; gauges that describe state
 * someone else owns (backlog bytes, in-flight bytes) are read when scraped, through `observe`.
 *
 * Names follow Prometheus conventions: a `trajectories_` prefix, `_total` for counters, base units (bytes,
 * seconds) in the name.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Why a request or item was refused; one label value per reason, stable across releases. */
export type RejectionReason =
  | 'unauthenticated'
  | 'invalid'
  | 'too_large'
  | 'unsupported'
  | 'overloaded'
  | 'unavailable'
  | 'timeout'
  | 'partial_item';

export type Transport = 'http' | 'grpc';

export class ReceiverMetrics {
  readonly registry = new Registry();

  /** Export requests answered, by transport, signal and outcome (`accepted` or a rejection reason). */
  readonly exportRequests = new Counter({
    name: 'trajectories_export_requests_total',
    help: 'OTLP Export requests answered, by transport, signal and outcome',
    labelNames: ['transport', 'signal', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Request body bytes read (after decompression) by transport and signal. */
  readonly receivedBytes = new Counter({
    name: 'trajectories_received_bytes_total',
    help: 'OTLP request body bytes read, after decompression',
    labelNames: ['transport', 'signal'] as const,
    registers: [this.registry],
  });

  /** Spans and log records written to the write-ahead log (acknowledged). */
  readonly acceptedItems = new Counter({
    name: 'trajectories_accepted_items_total',
    help: 'Spans and log records acknowledged (in the write-ahead log)',
    labelNames: ['signal'] as const,
    registers: [this.registry],
  });

  /** Requests or items refused, by reason. */
  readonly rejections = new Counter({
    name: 'trajectories_rejections_total',
    help: 'Requests (or single items, reason partial_item) refused, by reason',
    labelNames: ['transport', 'reason'] as const,
    registers: [this.registry],
  });

  /** Rows ClickHouse accepted, by table. */
  readonly storedRows = new Counter({
    name: 'trajectories_stored_rows_total',
    help: 'Rows inserted into ClickHouse by the store writer, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  /** Batches the store writer had to retry (store unavailable, or the log could not be read or committed). */
  readonly writerRetries = new Counter({
    name: 'trajectories_writer_retries_total',
    help: 'Batches the store writer retried after a failure',
    registers: [this.registry],
  });

  /** Rows ClickHouse refused as bad data, set aside in the dead-letter file. */
  readonly deadLetteredRows = new Counter({
    name: 'trajectories_dead_lettered_rows_total',
    help: 'Rows refused by ClickHouse as bad data and written to the dead-letter file',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  /** Refused rows dropped instead of dead-lettered because the dead-letter file had reached its size limit. */
  readonly deadLetterDroppedRows = new Counter({
    name: 'trajectories_dead_letter_dropped_rows_total',
    help: 'Rows refused by ClickHouse and dropped because the dead-letter file was full',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  /** LLM proxy calls by upstream, protocol and outcome (`2xx`..`5xx` upstream status, `timeout`, `client_aborted`, `connection_error`, `refused`). */
  readonly proxyCalls = new Counter({
    name: 'trajectories_proxy_calls_total',
    help: 'LLM proxy calls by upstream, protocol and outcome',
    labelNames: ['upstream', 'protocol', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Recordings of proxied calls: `recorded`, or why not (`overloaded`, `unavailable`, `failed`); the calls were answered either way. */
  readonly proxyRecordings = new Counter({
    name: 'trajectories_proxy_recordings_total',
    help: 'Recordings of LLM proxy calls by outcome (the calls themselves were answered either way)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** Time of each insert into ClickHouse. */
  readonly storeInsertSeconds = new Histogram({
    name: 'trajectories_store_insert_seconds',
    help: 'Duration of inserts into ClickHouse',
    labelNames: ['table'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /**
   * A gauge read when scraped: `read` returns the current value (backlog bytes, in-flight bytes, dead-letter file
   * size). Registering the same name twice throws, as prom-client does.
   */
  observe(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** The exposition text and its content type, for `GET /metrics`. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
