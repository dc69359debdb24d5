/**
 * A time-series chart (uPlot: canvas, fast at thousands of points). The series are drawn over shared x values in
 * unix seconds; the chart follows its container's width, so it fits a laptop screen and a wide one.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
  /** Draw bars instead of a line. */
  bars?: boolean;
  /** Which y axis: 'y' (left) or 'y2' (right). @default 'y' */
  scale?: 'y' | 'y2';
}

export function TimeSeriesChart(props: {
  title: string;
  x: number[];
  series: ChartSeries[];
  height?: number;
  /** Formats the x axis and legend in whole days rather than hours. */
  daily?: boolean;
}) {
  const container = useRef<HTMLDivElement>(null);
  const { title, x, series, height = 220 } = props;
  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
    const usesRight = series.some((entry) => entry.scale === 'y2');
    const options: uPlot.Options = {
      width: Math.max(320, element.clientWidth),
      height,
      series: [
        {},
        ...series.map((entry) => ({
          label: entry.label,
          stroke: entry.color,
          fill: entry.bars ? `${entry.color}99` : undefined,
          width: entry.bars ? 0 : 2,
          paths: entry.bars ? bars : undefined,
          scale: entry.scale ?? 'y',
          points: { show: x.length < 60 },
        })),
      ],
      axes: [{}, { scale: 'y' }, ...(usesRight ? [{ scale: 'y2', side: 1 as const, grid: { show: false } }] : [])],
      scales: { x: { time: true } },
      legend: { live: true },
    };
    const chart = new uPlot(options, [x, ...series.map((entry) => entry.values)] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(320, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [x, series, height]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {x.length === 0 ? (
        <p className="muted">No data in this range.</p>
      ) : (
        <div ref={container} role="img" aria-label={title} />
      )}
    </figure>
  );
}
