/**
 * The knobs of trajectory assembly: the quiet period after which a trajectory counts as complete, the discount
 * factor of the returns, and the window within which agent-less calls are stitched into one conversation. The receiver passes its configuration; library callers (exporters) may omit
 * them and get the same environment variables and defaults the receiver uses.
 */
export interface TrajectorySettings {
  /** Seconds without a new span before a trajectory is complete. @default 60 */
  quietSeconds: number;
  /** Discount factor of the discounted and AIR-shaped returns, in [0, 1]. @default 0.99 */
  gamma: number;
  /**
   * How far apart (one call's end to the next call's start) two agent-less model calls of one conversation may be
   * to be stitched into one trajectory; such trajectories are complete only after this long too. @default 300
   */
  stitchWindowSeconds: number;
}

export const defaultQuietSeconds = 60;
export const defaultGamma = 0.99;
export const defaultStitchWindowSeconds = 300;

/** The quiet period of a whole-trace trajectory, which a later stitched call may still extend. */
export function openQuietSeconds(settings: TrajectorySettings): number {
  return Math.max(settings.quietSeconds, settings.stitchWindowSeconds);
}

function numberFromEnvironment(name: string, environment: NodeJS.ProcessEnv): number | undefined {
  const text = environment[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value))
    throw new Error(`environment variable ${name} = ${JSON.stringify(text)} is not a number`);
  return value;
}

export function resolveTrajectorySettings(
  options: Partial<TrajectorySettings> = {},
  environment: NodeJS.ProcessEnv = process.env,
): TrajectorySettings {
  const quietSeconds =
    options.quietSeconds ?? numberFromEnvironment('TRAJECTORIES_QUIET_SECONDS', environment) ?? defaultQuietSeconds;
  const gamma = options.gamma ?? numberFromEnvironment('TRAJECTORIES_GAMMA', environment) ?? defaultGamma;
  const stitchWindowSeconds =
    options.stitchWindowSeconds ??
    numberFromEnvironment('TRAJECTORIES_STITCH_WINDOW_SECONDS', environment) ??
    defaultStitchWindowSeconds;
  if (!(quietSeconds >= 0)) throw new Error(`quietSeconds = ${quietSeconds}: must be >= 0`);
  if (!(gamma >= 0 && gamma <= 1)) throw new Error(`gamma = ${gamma}: must be between 0 and 1`);
  if (!(stitchWindowSeconds >= 0)) throw new Error(`stitchWindowSeconds = ${stitchWindowSeconds}: must be >= 0`);
  return { quietSeconds, gamma, stitchWindowSeconds };
}
