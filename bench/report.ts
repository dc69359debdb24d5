/** One benchmark measurement, printed beside the baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  /** value / baseline (or as documented by the benchmark). */
  ratio?: number;
  note?: string;
}

export function percentile(sortedOrNot: number[], fraction: number): number {
  const sorted = [...sortedOrNot].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

export function formatResults(title: string, results: BenchResult[]): string {
  const lines = [`\n## ${title}`];
  for (const result of results) {
    const value = Number.isInteger(result.value) ? result.value.toString() : result.value.toFixed(2);
    const baseline =
      result.baseline === undefined
        ? ''
        : `  baseline ${Number.isInteger(result.baseline) ? result.baseline : result.baseline.toFixed(2)} ${result.unit}`;
    const ratio = result.ratio === undefined ? '' : `  ratio ${result.ratio.toFixed(2)}`;
    lines.push(
      `${result.name.padEnd(48)} ${value} ${result.unit}${baseline}${ratio}${result.note ? `  (${result.note})` : ''}`,
    );
  }
  return lines.join('\n');
}
