/**
 * Counts one answered OTLP Export request into the receiver's metrics, by transport, signal and outcome, so the
 * export path and the refusals the transports answer before it runs (a missing token, an unknown Content-Type)
 * land in the same series.
 */
import type { ReceiverMetrics, RejectionReason, Transport } from '../metrics/receiver-metrics.ts';
import type { OtlpSignal } from '../otlp/index.ts';

export function countExport(
  metrics: ReceiverMetrics | undefined,
  transport: Transport,
  signal: OtlpSignal,
  outcome: 'accepted' | RejectionReason,
): void {
  if (!metrics) return;
  metrics.exportRequests.inc({ transport, signal, outcome });
  if (outcome !== 'accepted') metrics.rejections.inc({ transport, reason: outcome });
}
