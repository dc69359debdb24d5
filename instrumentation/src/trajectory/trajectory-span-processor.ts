/**
 * Stamps the Agent Lightning rollout/attempt ids of the enclosing trajectory on every span started inside it,
 * including spans from other instrumentations (HTTP, databases), so an Agent Lightning store can group them.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_AGENTLIGHTNING_ATTEMPT_ID, ATTR_AGENTLIGHTNING_ROLLOUT_ID } from '../attributes.ts';
import { guard } from '../guard.ts';
import { currentTrajectory } from './trajectory-context.ts';

export class TrajectorySpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    guard('stamping trajectory ids', () => {
      const trajectory = currentTrajectory(parentContext);
      if (!trajectory) return;
      if (trajectory.rolloutId !== undefined) span.setAttribute(ATTR_AGENTLIGHTNING_ROLLOUT_ID, trajectory.rolloutId);
      if (trajectory.attemptId !== undefined) span.setAttribute(ATTR_AGENTLIGHTNING_ATTEMPT_ID, trajectory.attemptId);
    });
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
