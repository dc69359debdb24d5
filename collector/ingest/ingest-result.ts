/**
 * Outcomes of handing rows to the ingest pipeline, as a discriminated union: transports turn each into the
 * matching OTLP/HTTP status or gRPC code, and none of them is an exception.
 */
export type IngestResult =
  | { status: 'accepted' }
  /** The store keeps up, but the backlog is over its bound: the client should retry later (HTTP 429). */
  | { status: 'overloaded'; retryAfterSeconds: number; message: string }
  /** The store is unreachable and the log is full, or the log cannot be written (HTTP 503). */
  | { status: 'unavailable'; retryAfterSeconds: number; message: string };

/** The outcomes a transport answers with a retryable refusal (HTTP 429/503 with Retry-After, gRPC with RetryInfo). */
export type IngestRefusal = Exclude<IngestResult, { status: 'accepted' }>;
