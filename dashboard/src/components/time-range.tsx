/** The time ranges pages offer, and the picker that sets one (kept in the URL so a view can be shared). */
export const timeRanges = [
  { key: '24h', label: 'Last 24 hours', millis: 24 * 3600_000, bucket: 'hour' },
  { key: '7d', label: 'Last 7 days', millis: 7 * 24 * 3600_000, bucket: 'hour' },
  { key: '30d', label: 'Last 30 days', millis: 30 * 24 * 3600_000, bucket: 'day' },
  { key: 'all', label: 'All time', millis: undefined, bucket: 'day' },
] as const;

export type TimeRangeKey = (typeof timeRanges)[number]['key'];

export function timeRangeOf(key: string | null): (typeof timeRanges)[number] {
  return timeRanges.find((range) => range.key === key) ?? timeRanges[1];
}

/** The RFC 3339 start of `range` counted back from `now`, or undefined for all time. */
export function sinceOf(range: (typeof timeRanges)[number], now: number): string | undefined {
  return range.millis === undefined ? undefined : new Date(now - range.millis).toISOString();
}

export function TimeRangePicker(props: { value: TimeRangeKey; onChange: (key: TimeRangeKey) => void }) {
  return (
    <label className="inline-field">
      Time range
      <select value={props.value} onChange={(event) => props.onChange(timeRangeOf(event.target.value).key)}>
        {timeRanges.map((range) => (
          <option key={range.key} value={range.key}>
            {range.label}
          </option>
        ))}
      </select>
    </label>
  );
}
