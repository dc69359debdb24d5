/**
 * OTLP/HTTP protobuf clients that behave like OTLP exporters under a crashing receiver: each sends one request at
 * a time and retries it, with exponential backoff and jitter, until it is acknowledged (200) or refused as
 * not retryable (400, 413, 415: exporters drop those). Connection errors, resets, timeouts and 408/429/502/503/504
 * are retried. Unlike the OTel exporters they never give up: every span must end up acknowledged so lost ones show.
 *
 * Every request carries fresh trace ids (a template body with its trace ids patched, bench/summary-lag.ts), so the
 * request number alone says which (trace id, span id) keys a 200 acknowledged.
 */
import { Agent, request } from 'node:http';
import { decodeTracesProtobuf } from '../collector/otlp/index.ts';
import { patched, templateOf, type Template } from './summary-lag.ts';

const retriedStatuses = new Set([408, 429, 502, 503, 504]);
const firstBackoffMillis = 50;
// Low, unlike an exporter's seconds, so the time to the first accepted request after a restart measures the
// receiver rather than the client's sleep.
const maxBackoffMillis = 250;
const requestTimeoutMillis = 30_000;

/** Request number n is template n % T with its trace ids XORed with cycle floor(n / T) + 1. */
export class UniqueRequests {
  private readonly templates: Template[];
  private readonly spanIds: { traceId: string; spanId: string }[][];
  private next = 0;

  constructor(bodies: Uint8Array[]) {
    this.templates = bodies.map(templateOf);
    this.spanIds = bodies.map((body) =>
      decodeTracesProtobuf(body, { maxAttributeBytes: 4 * 1024 * 1024 }).spans.map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
      })),
    );
  }

  take(): { number: number; body: Buffer; spans: number } {
    const number = this.next++;
    const { body } = patched(this.templates[number % this.templates.length]!, this.cycleOf(number));
    return { number, body, spans: this.spanIds[number % this.templates.length]!.length };
  }

  /** The `${trace_id}/${span_id}` keys request `number` carried. */
  keysOf(number: number): string[] {
    const cycle = this.cycleOf(number);
    return this.spanIds[number % this.templates.length]!.map(
      ({ traceId, spanId }) => `${patchedTraceId(traceId, cycle)}/${spanId}`,
    );
  }

  private cycleOf(number: number): number {
    return Math.floor(number / this.templates.length) + 1;
  }
}

/** The trace id `patched` writes: the last four bytes XORed with the cycle. */
function patchedTraceId(traceId: string, cycle: number): string {
  const tail = ((Number.parseInt(traceId.slice(24), 16) ^ cycle) >>> 0).toString(16).padStart(8, '0');
  return traceId.slice(0, 24) + tail;
}

export interface ClientCounts {
  attempts: number;
  connectionErrors: number;
  retriedStatuses: Record<number, number>;
  /** Requests refused as not retryable (status), dropped as an exporter would. */
  rejected: Record<number, number>;
  /** 200 answers with a body (an OTLP partial success names rejected spans). */
  partialSuccessAnswers: number;
}

export class RetryingClients {
  readonly acknowledged: number[] = [];
  acknowledgedSpans = 0;
  readonly counts: ClientCounts = {
    attempts: 0,
    connectionErrors: 0,
    retriedStatuses: {},
    rejected: {},
    partialSuccessAnswers: 0,
  };
  private stopping = false;
  private running: Promise<void>[] = [];
  private readonly agent: Agent;

  constructor(
    private readonly options: {
      endpoint: URL;
      requests: UniqueRequests;
      clients: number;
      /** Called with performance.now() at every 200. */
      onAccepted: (at: number) => void;
    },
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.clients });
  }

  start(): void {
    this.running = Array.from({ length: this.options.clients }, () => this.run());
  }

  /** Takes no new requests; resolves once every client's current request is acknowledged or rejected. */
  async finish(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
    this.agent.destroy();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const next = this.options.requests.take();
      if (await this.deliver(next.body)) {
        this.acknowledged.push(next.number);
        this.acknowledgedSpans += next.spans;
      }
    }
  }

  /** True once acknowledged, false if refused as not retryable. */
  private async deliver(body: Buffer): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      this.counts.attempts++;
      const answer = await this.post(body);
      if (answer.status === 200) {
        this.options.onAccepted(performance.now());
        if (answer.bodyBytes > 0) this.counts.partialSuccessAnswers++;
        return true;
      }
      if (answer.status === 0) this.counts.connectionErrors++;
      else if (retriedStatuses.has(answer.status))
        this.counts.retriedStatuses[answer.status] = (this.counts.retriedStatuses[answer.status] ?? 0) + 1;
      else {
        this.counts.rejected[answer.status] = (this.counts.rejected[answer.status] ?? 0) + 1;
        return false;
      }
      const backoff = Math.min(maxBackoffMillis, firstBackoffMillis * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, backoff * (0.5 + Math.random() / 2)));
    }
  }

  /** Status 0 for a connection that failed, was reset or timed out. */
  private post(body: Buffer): Promise<{ status: number; bodyBytes: number }> {
    return new Promise((resolve) => {
      const outgoing = request(
        this.options.endpoint,
        {
          method: 'POST',
          agent: this.agent,
          timeout: requestTimeoutMillis,
          headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.byteLength },
        },
        (response) => {
          let bodyBytes = 0;
          response.on('data', (chunk: Buffer) => (bodyBytes += chunk.byteLength));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, bodyBytes }));
          // A receiver killed mid-answer closes the response before its end: not an acknowledgement.
          response.on('close', () => resolve({ status: 0, bodyBytes: 0 }));
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
      outgoing.on('error', () => resolve({ status: 0, bodyBytes: 0 }));
      outgoing.end(body);
    });
  }
}
