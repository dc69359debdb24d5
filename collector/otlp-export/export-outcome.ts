/**
 * What became of one OTLP Export request, whichever transport carried it. The export path returns it and never
 * throws for an expected failure; each transport maps it onto its own codes in one pure function
 * (http/otlp-http-answer.ts, grpc/grpc-answer.ts), so a new outcome fails to compile in both until each says
 * what it means on its wire.
 */
import type { ExportPartialSuccess } from '../otlp/index.ts';
import type { IngestRefusal } from '../ingest/ingest-result.ts';

export type ExportOutcome =
  /**
   * The decodable items are in the write-ahead log. `response` is the encoded Export*ServiceResponse in the
   * request's encoding, carrying `partialSuccess` when some items were rejected.
   */
  | { status: 'accepted'; response: Uint8Array | string; partialSuccess: ExportPartialSuccess }
  /**
   * The bytes are not an OTLP message (or not valid gzip): retrying them cannot help. `message` says what is
   * wrong with them; each transport says where (an HTTP body, a gRPC message).
   */
  | { status: 'invalid'; message: string }
  /** The body is over the size limit, after decompression. */
  | { status: 'too_large'; message: string }
  /** The body is in an encoding or compression the receiver does not read. */
  | { status: 'unsupported'; message: string }
  /** The body stopped arriving before it ended; the transport gives up on the request and its connection. */
  | { status: 'timeout'; message: string }
  /** Overloaded or unavailable: the client should retry after `retryAfterSeconds`. */
  | IngestRefusal;

/**
 * A request body as the transport read it: the bytes, or why there are none to decode. The export path asks for
 * it only after admitting the request, so a refused request is never buffered. `over_budget`: the in-flight
 * budget refused a chunk mid-read (the export path answers it as overloaded).
 */
export type ExportBody =
  | { status: 'read'; body: Buffer }
  | { status: 'over_budget' }
  | Extract<ExportOutcome, { status: 'invalid' | 'too_large' | 'unsupported' | 'timeout' }>;
