/**
 * `reward(value)`: records a reward on the current trajectory as Agent Lightning does (`emit_reward`): a span named
 * `agentlightning.annotation`, child of the trajectory's span, with `agentlightning.reward.0.name` / `.value`.
 */
import { context, diag, SpanKind, trace, type Attributes } from '@opentelemetry/api';
import {
  AGENTLIGHTNING_ANNOTATION_SPAN_NAME,
  AGENTLIGHTNING_DEFAULT_REWARD_NAME,
  agentLightningRewardNameAttribute,
  agentLightningRewardValueAttribute,
  ATTR_TRAJECTORY_REWARD_COMMENT,
} from '../attributes.ts';
import { setContentAttribute } from '../content.ts';
import { guard } from '../guard.ts';
import { currentTracer } from '../state.ts';
import { currentTrajectory, trajectoryInheritedAttributes } from './trajectory-context.ts';

export interface RewardOptions {
  /**
   * The reward dimension's name.
   * @default `primary` (what Agent Lightning's `emit_reward(float)` uses)
   */
  name?: string;
  /**
   * A free-text note (`trajectory.reward.comment`), e.g. why the run got this reward. Recorded as content: only with
   * content capture on, after the redaction hook.
   */
  comment?: string;
}

let warnedOutsideTrajectory = false;

/**
 * Records `value` (a finite number) as a reward of the current trajectory. Outside `trajectory()` it is recorded
 * under the active span. A non-finite value is not recorded (reported once through the OTel diag logger).
 */
export function reward(value: number, options: RewardOptions = {}): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    diag.warn(
      `@agent-trajectories/instrumentation: reward() needs a finite number, got ${String(value)}; not recorded`,
    );
    return;
  }
  guard('recording a reward', () => {
    const activeContext = context.active();
    const trajectory = currentTrajectory(activeContext);
    if (!trajectory && !warnedOutsideTrajectory) {
      warnedOutsideTrajectory = true;
      diag.warn(
        '@agent-trajectories/instrumentation: reward() called outside trajectory(); recorded under the active span',
      );
    }
    const parentContext = trajectory ? trace.setSpan(activeContext, trajectory.span) : activeContext;
    const attributes: Attributes = {
      ...trajectoryInheritedAttributes(activeContext),
      [agentLightningRewardNameAttribute(0)]: options.name ?? AGENTLIGHTNING_DEFAULT_REWARD_NAME,
      [agentLightningRewardValueAttribute(0)]: value,
    };
    const span = currentTracer().startSpan(
      AGENTLIGHTNING_ANNOTATION_SPAN_NAME,
      { kind: SpanKind.INTERNAL, attributes },
      parentContext,
    );
    // A free-text comment can quote the run: content, under the same switch and redaction as messages.
    setContentAttribute(span, ATTR_TRAJECTORY_REWARD_COMMENT, options.comment);
    span.end();
  });
}
