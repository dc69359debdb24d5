/**
 * Overview: how the agents are doing over a time range. Totals, trajectories and success over time, tokens and
 * cost over time, the reward distribution, one row per agent, and the tools that fail most. Everything comes from
 * the analytics API (`/v1/analytics/*`), so it matches `trajectories stats` and the SQL views.
 */
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { queryString } from '../api/client.ts';
import type { AnalyticsGroup, RewardBin, ToolAnalytics } from '../api/types.ts';
import { useApi } from '../api/use-api.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { TimeRangePicker, sinceOf, timeRangeOf } from '../components/time-range.tsx';
import { TimeSeriesChart, type ChartSeries } from '../components/time-series-chart.tsx';
import { formatCount, formatDuration, formatPercent, formatReward, formatUsd } from '../format.ts';
import { useQueryState } from '../url-state.ts';

function Stat(props: { label: string; value: string; detail?: string | undefined }) {
  return (
    <div className="stat">
      <dt>{props.label}</dt>
      <dd>
        {props.value}
        {props.detail ? <span className="muted"> {props.detail}</span> : null}
      </dd>
    </div>
  );
}

function Totals({ summary }: { summary: AnalyticsGroup }) {
  return (
    <dl className="stats">
      <Stat label="Trajectories" value={formatCount(summary.trajectories)} />
      <Stat label="Success rate" value={formatPercent(summary.success_rate)} />
      <Stat label="Mean reward" value={formatReward(summary.reward.mean)} detail={`of ${summary.reward.count}`} />
      <Stat label="Tool errors" value={formatCount(summary.tool_executions.errors)} />
      <Stat label="Tokens" value={formatCount(summary.tokens.input + summary.tokens.output)} />
      <Stat
        label="Cost"
        value={summary.cost_usd === null ? `≥ ${formatUsd(summary.priced_cost_usd)}` : formatUsd(summary.cost_usd)}
        detail={summary.unpriced_calls > 0 ? `${summary.unpriced_calls} unpriced calls` : undefined}
      />
      <Stat label="Model latency p95" value={formatDuration(summary.model_calls.latency_ms?.p95)} />
    </dl>
  );
}

function RewardDistribution({ bins }: { bins: RewardBin[] }) {
  const largest = Math.max(1, ...bins.map((bin) => bin.trajectories));
  if (bins.length === 0) return <p className="muted">No rewarded trajectories in this range.</p>;
  return (
    <figure className="chart">
      <figcaption>Reward distribution</figcaption>
      <ol className="histogram" aria-label="Reward distribution">
        {bins.map((bin) => (
          <li key={bin.lower} title={`${formatReward(bin.lower)} to ${formatReward(bin.upper)}: ${bin.trajectories}`}>
            <span className="bar" style={{ height: `${(bin.trajectories / largest) * 100}%` }} />
            <span className="bin-label">{formatReward(bin.lower)}</span>
            <span className="sr-only">
              {formatReward(bin.lower)} to {formatReward(bin.upper)}: {bin.trajectories} trajectories
            </span>
          </li>
        ))}
      </ol>
    </figure>
  );
}

export function OverviewPage() {
  const [query, setQuery] = useQueryState();
  const range = timeRangeOf(query.get('range'));
  // The range's start is fixed when the range is picked, so re-renders do not refetch with a moving start.
  const [now] = useState(() => Date.now());
  const filters = queryString({ since: sinceOf(range, now) });
  const summary = useApi<{ summary: AnalyticsGroup }>(`/v1/analytics/summary${filters}`);
  const series = useApi<{ buckets: Array<AnalyticsGroup & { start: string }> }>(
    `/v1/analytics/timeseries${queryString({ since: sinceOf(range, now), bucket: range.bucket })}`,
  );
  const agents = useApi<{ groups: AnalyticsGroup[] }>(
    `/v1/analytics/summary${queryString({ since: sinceOf(range, now), by: 'agent' })}`,
  );
  const tools = useApi<{ tools: ToolAnalytics[] }>(`/v1/analytics/tools${filters}`);
  const rewards = useApi<{ bins: RewardBin[] }>(`/v1/analytics/rewards${filters}`);

  const charts = useMemo(() => {
    const buckets = series.data?.buckets ?? [];
    const x = buckets.map((bucket) => Date.parse(bucket.start) / 1000);
    const outcomes: ChartSeries[] = [
      { label: 'Trajectories', values: buckets.map((b) => b.trajectories), color: '#4c78a8', bars: true },
      {
        label: 'Success rate',
        values: buckets.map((b) => (b.success_rate === null ? null : b.success_rate * 100)),
        color: '#54a24b',
        scale: 'y2',
      },
    ];
    const usage: ChartSeries[] = [
      { label: 'Tokens', values: buckets.map((b) => b.tokens.input + b.tokens.output), color: '#f58518', bars: true },
      {
        label: 'Cost (USD)',
        values: buckets.map((b) => b.cost_usd ?? b.priced_cost_usd),
        color: '#b279a2',
        scale: 'y2',
      },
    ];
    return { x, outcomes, usage };
  }, [series.data]);

  const failingTools = (tools.data?.tools ?? [])
    .filter((tool) => tool.errors > 0)
    .sort((a, b) => b.errors - a.errors)
    .slice(0, 10);

  return (
    <>
      <header className="page-header">
        <h1>Overview</h1>
        <TimeRangePicker value={range.key} onChange={(key) => setQuery({ range: key })} />
      </header>
      {summary.error ? <ErrorMessage error={summary.error} /> : null}
      {summary.data?.summary ? (
        <Totals summary={summary.data.summary} />
      ) : summary.loading ? (
        <Loading what="totals" />
      ) : null}
      <section className="chart-grid" aria-label="Charts">
        {series.error ? <ErrorMessage error={series.error} /> : null}
        <TimeSeriesChart title="Trajectories and success rate (%)" x={charts.x} series={charts.outcomes} />
        <TimeSeriesChart title="Tokens and cost" x={charts.x} series={charts.usage} />
        {rewards.error ? (
          <ErrorMessage error={rewards.error} />
        ) : (
          <RewardDistribution bins={rewards.data?.bins ?? []} />
        )}
      </section>
      <section aria-labelledby="agents-heading">
        <h2 id="agents-heading">Agents</h2>
        {agents.error ? <ErrorMessage error={agents.error} /> : null}
        <table>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col" className="number">
                Trajectories
              </th>
              <th scope="col" className="number">
                Success
              </th>
              <th scope="col" className="number">
                Mean reward
              </th>
              <th scope="col" className="number">
                Tool errors
              </th>
              <th scope="col" className="number">
                Tokens
              </th>
              <th scope="col" className="number">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {(agents.data?.groups ?? []).map((group) => (
              <tr key={group.key}>
                <td>
                  <Link href={`/trajectories?${new URLSearchParams({ agent: group.key }).toString()}`}>
                    {group.key || '(no agent name)'}
                  </Link>
                </td>
                <td className="number">{formatCount(group.trajectories)}</td>
                <td className="number">{formatPercent(group.success_rate)}</td>
                <td className="number">{formatReward(group.reward.mean)}</td>
                <td className="number">{formatCount(group.tool_executions.errors)}</td>
                <td className="number">{formatCount(group.tokens.input + group.tokens.output)}</td>
                <td className="number">{formatUsd(group.cost_usd ?? group.priced_cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="tools-heading">
        <h2 id="tools-heading">Tools with the most errors</h2>
        {tools.error ? <ErrorMessage error={tools.error} /> : null}
        {failingTools.length === 0 && tools.data ? <p className="muted">No tool errors in this range.</p> : null}
        {failingTools.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col" className="number">
                  Errors
                </th>
                <th scope="col" className="number">
                  Executions
                </th>
                <th scope="col" className="number">
                  Error rate
                </th>
                <th scope="col">Error types</th>
                <th scope="col" className="number">
                  p95
                </th>
              </tr>
            </thead>
            <tbody>
              {failingTools.map((tool) => (
                <tr key={tool.tool}>
                  <td>{tool.tool}</td>
                  <td className="number">{formatCount(tool.errors)}</td>
                  <td className="number">{formatCount(tool.executions)}</td>
                  <td className="number">{formatPercent(tool.error_rate)}</td>
                  <td>
                    {Object.entries(tool.error_types)
                      .map(([type, count]) => `${type} (${count})`)
                      .join(', ')}
                  </td>
                  <td className="number">{formatDuration(tool.latency_ms?.p95)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </>
  );
}
