/**
 * Rewards of a trajectory: the final reward and where it came from (the documented rule: feedback, else a reward
 * span, else an evaluation), every reward recorded, AIR per tool call, and credit per turn for each credit column
 * (identical, discounted, AIR-shaped, GRPO advantage).
 */
import type { Trajectory } from '../api/types.ts';
import { formatReward, formatTime } from '../format.ts';

const creditColumns = [
  { key: 'identical', label: 'Identical' },
  { key: 'discounted', label: 'Discounted' },
  { key: 'air_shaped', label: 'AIR-shaped' },
  { key: 'advantage', label: 'Advantage' },
] as const;

export function RewardsPanel({ trajectory }: { trajectory: Trajectory & { final_reward_source?: string } }) {
  const executions = trajectory.turns.flatMap((turn) =>
    turn.tool_calls.map((execution) => ({ turn: turn.index, execution })),
  );
  return (
    <div className="rewards">
      <p className="final-reward">
        Final reward <strong data-testid="final-reward">{formatReward(trajectory.final_reward)}</strong>
        {trajectory.final_reward_source ? <span className="muted"> from {trajectory.final_reward_source}</span> : null}
        {' · '}outcome <span className={`badge outcome-${trajectory.outcome}`}>{trajectory.outcome}</span>
      </p>
      <h3>Rewards recorded</h3>
      {trajectory.rewards.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="number">
                Value
              </th>
              <th scope="col">Source</th>
              <th scope="col">Comment</th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {trajectory.rewards.map((reward, index) => (
              <tr key={`${reward.span_id}-${reward.name}-${index}`}>
                <td>{reward.name}</td>
                <td className="number">{formatReward(reward.value)}</td>
                <td>{reward.source}</td>
                <td>{reward.comment}</td>
                <td>{formatTime(reward.time_unix_nano)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>AIR per tool call</h3>
      {executions.length === 0 ? (
        <p className="muted">No tool calls.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Turn</th>
              <th scope="col">Tool</th>
              <th scope="col">Status</th>
              <th scope="col" className="number">
                AIR reward
              </th>
            </tr>
          </thead>
          <tbody>
            {executions.map(({ turn, execution }) => (
              <tr key={execution.call_id}>
                <td>{turn + 1}</td>
                <td>
                  <code>{execution.name}</code>
                </td>
                <td>
                  <span className={`badge status-${execution.status}`}>{execution.status}</span>
                </td>
                <td className="number">{formatReward(execution.air_reward)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Credit per turn</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Turn</th>
            {creditColumns.map((column) => (
              <th key={column.key} scope="col" className="number">
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {trajectory.credit.map((credit) => (
            <tr key={credit.span_id}>
              <td>{credit.turn_index + 1}</td>
              {creditColumns.map((column) => (
                <td key={column.key} className="number">
                  {formatReward(credit[column.key])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
