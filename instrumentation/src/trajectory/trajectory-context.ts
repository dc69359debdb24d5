/**
 * The trajectory a piece of code runs in, carried in the OTel context: its span (the parent of reward spans) and
 * the identifiers every span of the trajectory repeats (conversation id, Agent Lightning rollout/attempt ids).
 * The context key is a registered symbol, so the ESM and CommonJS copies of this package share it.
 */
import { context, createContextKey, type Attributes, type Context, type Span } from '@opentelemetry/api';
import {
  ATTR_AGENTLIGHTNING_ATTEMPT_ID,
  ATTR_AGENTLIGHTNING_ROLLOUT_ID,
  ATTR_GEN_AI_CONVERSATION_ID,
} from '../attributes.ts';

export interface TrajectoryContextValue {
  span: Span;
  agentName: string;
  conversationId: string | undefined;
  rolloutId: string | undefined;
  attemptId: string | undefined;
}

const TRAJECTORY_CONTEXT_KEY = createContextKey('@agent-trajectories/instrumentation.trajectory');

export function currentTrajectory(activeContext: Context = context.active()): TrajectoryContextValue | undefined {
  return activeContext.getValue(TRAJECTORY_CONTEXT_KEY) as TrajectoryContextValue | undefined;
}

export function contextWithTrajectory(parent: Context, value: TrajectoryContextValue): Context {
  return parent.setValue(TRAJECTORY_CONTEXT_KEY, value);
}

/** The attributes every span inside the trajectory carries. */
export function trajectoryInheritedAttributes(activeContext: Context = context.active()): Attributes {
  const trajectory = currentTrajectory(activeContext);
  if (!trajectory) return {};
  const attributes: Attributes = {};
  if (trajectory.conversationId !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = trajectory.conversationId;
  if (trajectory.rolloutId !== undefined) attributes[ATTR_AGENTLIGHTNING_ROLLOUT_ID] = trajectory.rolloutId;
  if (trajectory.attemptId !== undefined) attributes[ATTR_AGENTLIGHTNING_ATTEMPT_ID] = trajectory.attemptId;
  return attributes;
}
