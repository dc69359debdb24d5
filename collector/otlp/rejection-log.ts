/**
 * Collects the items a request carried that were decodable but invalid. They become the OTLP `partial_success`
 * answer: the count is exact, the messages are capped because a client that sends 50 000 bad spans needs the
 * first few reasons, not a multi-megabyte response.
 */

export const MAX_REJECTION_MESSAGES = 10;

export class RejectionLog {
  rejected = 0;
  readonly messages: string[] = [];

  add(message: string): void {
    this.rejected++;
    if (this.messages.length < MAX_REJECTION_MESSAGES) this.messages.push(message);
  }
}
