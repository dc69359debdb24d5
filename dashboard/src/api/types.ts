/**
 * The API's response shapes, imported as types from the modules that define them on the receiver's side, so the
 * dashboard cannot drift from what the API sends (a renamed field fails the dashboard's type check).
 */
export type {
  Trajectory,
  TrajectorySummary,
  Turn,
  ToolExecution,
  Reward,
  TurnCredit,
  Annotations,
} from '../../../src/model/trajectory.ts';
export type { Message, ContentPart } from '../../../src/model/message.ts';
export type { AnalyticsGroup } from '../../../src/analytics/read-analytics.ts';
export type { RewardBin } from '../../../src/analytics/reward-distribution.ts';
export type { TimelineSpan, TrajectoryTimeline } from '../../../src/trajectories/trajectory-timeline.ts';
export type { TrajectoryPage } from '../../../src/trajectories/read-trajectories.ts';

export interface ToolAnalytics {
  tool: string;
  trajectories: number;
  executions: number;
  errors: number;
  error_rate: number | null;
  error_types: Record<string, number>;
  latency_ms: { p50: number; p95: number; p99: number } | null;
  success_rate: number | null;
}
