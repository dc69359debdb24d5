/**
 * The trajectory list: filters, a search box, sortable columns and keyset pages from `GET /v1/trajectories`
 * (search from `/v1/trajectories/search`). Everything the user set lives in the URL. While the list shows the
 * newest first, it asks every few seconds for what arrived since and puts it on top, marked new: no reload.
 */
import { useEffect, useMemo, useRef, useState, type SubmitEvent } from 'react';
import { Link } from 'wouter';
import { getJson, queryString } from '../api/client.ts';
import type { TrajectoryPage, TrajectorySummary } from '../api/types.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { formatCount, formatDuration, formatReward, formatTime, shortId } from '../format.ts';
import { useQueryState } from '../url-state.ts';

const pageSize = 50;
const refreshMillis = 5000;

const filterFields = ['agent', 'task', 'outcome', 'tag', 'min_reward', 'max_reward', 'since', 'until'] as const;
type FilterField = (typeof filterFields)[number];

const columns = [
  { key: 'start_time', label: 'Started', sortable: true },
  { key: 'agent', label: 'Agent', sortable: false },
  { key: 'task', label: 'Task', sortable: false },
  { key: 'outcome', label: 'Outcome', sortable: false },
  { key: 'final_reward', label: 'Reward', sortable: true, number: true },
  { key: 'turn_count', label: 'Turns', sortable: true, number: true },
  { key: 'tool_call_count', label: 'Tool calls', sortable: true, number: true },
  { key: 'error_count', label: 'Errors', sortable: true, number: true },
  { key: 'total_tokens', label: 'Tokens', sortable: true, number: true },
  { key: 'duration_ms', label: 'Duration', sortable: true, number: true },
] as const;

/** datetime-local values are local times without an offset; the API wants RFC 3339. */
function toRfc3339(local: string): string | undefined {
  if (!local) return undefined;
  const millis = Date.parse(local);
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
}

function toLocalInput(rfc3339: string | null): string {
  if (!rfc3339) return '';
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return '';
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 16);
}

function Filters(props: { query: URLSearchParams; onApply: (changes: Record<string, string | undefined>) => void }) {
  const [values, setValues] = useState<Record<FilterField, string>>(() => ({
    agent: props.query.get('agent') ?? '',
    task: props.query.get('task') ?? '',
    outcome: props.query.get('outcome') ?? '',
    tag: props.query.get('tag') ?? '',
    min_reward: props.query.get('min_reward') ?? '',
    max_reward: props.query.get('max_reward') ?? '',
    since: toLocalInput(props.query.get('since')),
    until: toLocalInput(props.query.get('until')),
  }));
  const set = (field: FilterField) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [field]: event.target.value }));
  function submit(event: SubmitEvent) {
    event.preventDefault();
    props.onApply({
      ...values,
      since: toRfc3339(values.since),
      until: toRfc3339(values.until),
    });
  }
  function clear() {
    const empty = Object.fromEntries(filterFields.map((field) => [field, ''])) as Record<FilterField, string>;
    setValues(empty);
    props.onApply(Object.fromEntries(filterFields.map((field) => [field, undefined])));
  }
  return (
    <form className="filters" onSubmit={submit} aria-label="Filters">
      <label>
        Agent
        <input value={values.agent} onChange={set('agent')} placeholder="any" />
      </label>
      <label>
        Task
        <input value={values.task} onChange={set('task')} placeholder="id or exact text" />
      </label>
      <label>
        Outcome
        <select value={values.outcome} onChange={set('outcome')}>
          <option value="">any</option>
          <option value="success">success</option>
          <option value="failure">failure</option>
          <option value="unknown">unknown</option>
        </select>
      </label>
      <label>
        Tag
        <input value={values.tag} onChange={set('tag')} placeholder="any" />
      </label>
      <label>
        Min reward
        <input value={values.min_reward} onChange={set('min_reward')} inputMode="decimal" size={6} />
      </label>
      <label>
        Max reward
        <input value={values.max_reward} onChange={set('max_reward')} inputMode="decimal" size={6} />
      </label>
      <label>
        Since
        <input type="datetime-local" value={values.since} onChange={set('since')} />
      </label>
      <label>
        Until
        <input type="datetime-local" value={values.until} onChange={set('until')} />
      </label>
      <div className="filter-actions">
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}

function SearchBox(props: { value: string; onSearch: (q: string | undefined) => void }) {
  const [text, setText] = useState(props.value);
  return (
    <form
      role="search"
      className="search"
      onSubmit={(event) => {
        event.preventDefault();
        props.onSearch(text.trim() || undefined);
      }}
    >
      <label htmlFor="search">Search</label>
      <input
        id="search"
        type="search"
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder="words from the task or conversation"
      />
      <button type="submit">Search</button>
    </form>
  );
}

function OutcomeBadge({ outcome }: { outcome: string }) {
  return <span className={`badge outcome-${outcome}`}>{outcome}</span>;
}

function cell(summary: TrajectorySummary, key: (typeof columns)[number]['key']) {
  switch (key) {
    case 'start_time':
      return (
        <Link href={`/trajectories/${encodeURIComponent(summary.id)}`} className="row-link">
          {formatTime(summary.start_time_unix_nano)}
        </Link>
      );
    case 'agent':
      return summary.agent_name || <span className="muted">–</span>;
    case 'task':
      return (
        <span className="task-cell" title={summary.task}>
          {summary.task || <span className="muted">{shortId(summary.task_id)}</span>}
        </span>
      );
    case 'outcome':
      return <OutcomeBadge outcome={summary.outcome} />;
    case 'final_reward':
      return formatReward(summary.final_reward);
    case 'turn_count':
      return formatCount(summary.turn_count);
    case 'tool_call_count':
      return formatCount(summary.tool_call_count);
    case 'error_count':
      return summary.error_count > 0 ? <span className="error-count">{summary.error_count}</span> : '0';
    case 'total_tokens':
      return formatCount(summary.input_tokens + summary.output_tokens);
    case 'duration_ms':
      return formatDuration(summary.duration_ms);
  }
}

export function TrajectoriesPage() {
  const [query, setQuery] = useQueryState();
  const q = query.get('q') ?? '';
  const sort = query.get('sort') ?? 'start_time';
  const order = query.get('order') ?? 'desc';
  // The query object is rebuilt every render; its text is what changes.
  const queryText = query.toString();
  const filters = useMemo(() => {
    const current = new URLSearchParams(queryText);
    return Object.fromEntries(filterFields.map((field) => [field, current.get(field) ?? undefined]));
  }, [queryText]);
  const listPath = q
    ? `/v1/trajectories/search${queryString({ q, limit: 100, outcome: filters['outcome'] ?? 'any', min_reward: filters['min_reward'] })}`
    : `/v1/trajectories${queryString({ ...filters, sort: sort === 'start_time' ? undefined : sort, order: order === 'desc' ? undefined : order, limit: pageSize })}`;

  const [rows, setRows] = useState<TrajectorySummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setRows([]);
    setCursor(null);
    setFresh(new Set());
    getJson<TrajectoryPage>(listPath, controller.signal).then(
      (page) => {
        setRows(page.trajectories);
        setCursor(page.next_cursor ?? null);
        setError(undefined);
        setLoading(false);
      },
      (reason: unknown) => {
        if (controller.signal.aborted) return;
        setError(reason instanceof Error ? reason : new Error(String(reason)));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [listPath]);

  // New trajectories appear on top while the list shows the newest first (the default order).
  const live = !q && sort === 'start_time' && order === 'desc';
  useEffect(() => {
    if (!live) return undefined;
    const timer = setInterval(() => {
      getJson<TrajectoryPage>(listPath).then(
        (page) => {
          const known = new Set(rowsRef.current.map((row) => row.id));
          const arrived = page.trajectories.filter((row) => !known.has(row.id));
          const updated = new Map(page.trajectories.map((row) => [row.id, row]));
          setRows((current) => [...arrived, ...current.map((row) => updated.get(row.id) ?? row)]);
          if (arrived.length > 0) setFresh((current) => new Set([...current, ...arrived.map((row) => row.id)]));
        },
        () => undefined,
      );
    }, refreshMillis);
    return () => clearInterval(timer);
  }, [live, listPath]);

  async function loadMore() {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await getJson<TrajectoryPage>(`${listPath}&cursor=${encodeURIComponent(cursor)}`);
      setRows((current) => {
        const known = new Set(current.map((row) => row.id));
        return [...current, ...page.trajectories.filter((row) => !known.has(row.id))];
      });
      setCursor(page.next_cursor ?? null);
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setLoading(false);
    }
  }

  function sortBy(key: string) {
    if (q) return;
    const nextOrder = sort === key && order === 'desc' ? 'asc' : 'desc';
    setQuery({ sort: key === 'start_time' ? undefined : key, order: nextOrder === 'desc' ? undefined : nextOrder });
  }

  return (
    <>
      <header className="page-header">
        <h1>Trajectories</h1>
        <SearchBox value={q} onSearch={(text) => setQuery({ q: text })} />
      </header>
      <Filters query={query} onApply={setQuery} />
      {q ? (
        <p className="muted">
          Best matches for “{q}”, most similar first.{' '}
          <button className="link" onClick={() => setQuery({ q: undefined })}>
            Show the whole list
          </button>
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
      <table className="trajectory-table" aria-label="Trajectories" aria-busy={loading}>
        <thead>
          <tr>
            {columns.map((column) => {
              const active = !q && sort === column.key;
              const ariaSort = active ? (order === 'asc' ? 'ascending' : 'descending') : undefined;
              return (
                <th
                  key={column.key}
                  scope="col"
                  aria-sort={ariaSort}
                  className={'number' in column ? 'number' : undefined}
                >
                  {column.sortable && !q ? (
                    <button type="button" className="sort" onClick={() => sortBy(column.key)}>
                      {column.label}
                      <span aria-hidden="true">{active ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                    </button>
                  ) : (
                    column.label
                  )}
                </th>
              );
            })}
            <th scope="col">
              <span className="sr-only">Compare</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((summary) => (
            <tr
              key={summary.id}
              className={fresh.has(summary.id) ? 'fresh' : undefined}
              data-trajectory-id={summary.id}
            >
              {columns.map((column) => (
                <td key={column.key} className={'number' in column ? 'number' : undefined}>
                  {cell(summary, column.key)}
                </td>
              ))}
              <td>
                {summary.task_id ? (
                  <Link href={`/compare?${new URLSearchParams({ task: summary.task_id }).toString()}`}>Compare</Link>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {loading ? <Loading what="trajectories" /> : null}
      {!loading && rows.length === 0 && !error ? <p className="muted">No trajectories match.</p> : null}
      <p className="list-footer">
        <span className="muted" role="status">
          {rows.length} shown{fresh.size > 0 ? `, ${fresh.size} new` : ''}
        </span>
        {cursor ? (
          <button type="button" onClick={() => void loadMore()} disabled={loading}>
            Load {pageSize} more
          </button>
        ) : null}
      </p>
    </>
  );
}
