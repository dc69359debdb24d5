import { describe, expect, it } from 'vitest';
import { agentLightningTrajectoryId } from '../../../src/trajectories/assign-spans.ts';
import { parseTrajectoryId } from '../../../src/trajectories/trajectory-id.ts';
import { traceId } from './assembly-builders.ts';

describe('parseTrajectoryId', () => {
  it('reads a 32-hex id as a whole trace and <trace>-<16 hex> as an agent subtree', () => {
    expect(parseTrajectoryId(traceId)).toEqual({ kind: 'trace', traceId });
    expect(parseTrajectoryId(`${traceId}-00f067aa0ba902b7`)).toEqual({
      kind: 'agent',
      traceId,
      spanId: '00f067aa0ba902b7',
    });
  });

  it('reads back the rollout and attempt ids that assignment encoded, dots and all', () => {
    expect(parseTrajectoryId(agentLightningTrajectoryId('ro.1', 'a/b c!'))).toEqual({
      kind: 'agent-lightning',
      rolloutId: 'ro.1',
      attemptId: 'a/b c!',
    });
    expect(parseTrajectoryId(agentLightningTrajectoryId('rollout-7', ''))).toEqual({
      kind: 'agent-lightning',
      rolloutId: 'rollout-7',
      attemptId: '',
    });
  });

  it('rejects upper-case hex, a short span id, an empty rollout, a second bare dot and broken percent-encoding', () => {
    for (const id of [
      traceId.toUpperCase(),
      `${traceId}-00f067aa`,
      'al-',
      'al-.attempt',
      'al-ro.at.extra',
      'al-%E0%A4%A',
      '',
      'trajectory',
    ]) {
      expect(parseTrajectoryId(id), id).toBeUndefined();
    }
  });
});
