/**
 * Feedback rewards posted after the fact (`POST /v1/trajectories/{id}/rewards`): validated, resolved to the
 * trajectory's trace, stored in the `feedback` table. A client-chosen `feedback_id` makes a retried POST
 * idempotent (ReplacingMergeTree); without one each POST is a new reward. The latest feedback is the final
 * reward (see the `trajectories` view).
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import type { Reward } from '../model/trajectory.ts';

export const feedbackBodySchema = z.strictObject({
  value: z.number().refine(Number.isFinite, 'must be a finite number'),
  name: z.string().min(1).max(200).default('feedback'),
  comment: z.string().max(10_000).default(''),
  feedback_id: z.string().min(1).max(200).optional(),
  /** When the feedback was given (unix ns as a decimal string or number); defaults to now. */
  time_unix_nano: z
    .union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()])
    .refine((value) => BigInt(value) < 2n ** 64n, 'must fit an unsigned 64-bit nanosecond timestamp')
    .optional(),
});
export type FeedbackBody = z.output<typeof feedbackBodySchema>;

export async function storeFeedback(
  client: ClickHouseClient,
  tenant: string,
  trajectory: { id: string; trace_id: string },
  body: FeedbackBody,
): Promise<Reward & { feedback_id: string }> {
  const time =
    body.time_unix_nano === undefined ? (BigInt(Date.now()) * 1_000_000n).toString() : String(body.time_unix_nano);
  const feedbackId = body.feedback_id ?? randomUUID();
  await client.insert({
    table: 'feedback',
    values: [
      {
        tenant,
        trace_id: trajectory.trace_id,
        trajectory_id: trajectory.id,
        feedback_id: feedbackId,
        name: body.name,
        value: body.value,
        comment: body.comment,
        time_unix_nano: time,
      },
    ],
    format: 'JSONEachRow',
  });
  return {
    name: body.name,
    value: body.value,
    source: 'feedback',
    comment: body.comment,
    span_id: '',
    time_unix_nano: time,
    feedback_id: feedbackId,
  };
}
