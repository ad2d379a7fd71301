import { useEffect, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { api, query, type AuditEvent, type VerificationRun } from '../api';
import {
  ErrorMessage,
  formatDate,
  isoOf,
  Loading,
  PageTitle,
  Status,
  useAction,
  useLoad,
} from '../ui';

function RunResult({ run, title }: { run: VerificationRun; title: string }) {
  const by =
    run.requestedBy.type === 'system'
      ? 'the CLI (audit:verify)'
      : `${run.requestedBy.type} ${run.requestedBy.id ?? ''}`;
  return (
    <section aria-labelledby={`run-${run.id}`} className={`run run-${run.status}`}>
      <h2 id={`run-${run.id}`}>{title}</h2>
      {run.status === 'passed' && (
        <p className="ok">Chain intact: {run.checkedEvents} events checked.</p>
      )}
      {run.status === 'failed' && run.firstBroken && (
        <p className="bad" data-testid="first-broken">
          Chain broken at position {run.firstBroken.position} ({run.firstBroken.kind}):{' '}
          {run.firstBroken.message}
        </p>
      )}
      {run.status === 'error' && <p className="bad">The check could not finish: {run.error}</p>}
      {run.status === 'abandoned' && (
        <p className="bad">The check stopped without a result (its gateway process ended).</p>
      )}
      <dl className="facts">
        <dt>Started</dt>
        <dd>{formatDate(run.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{formatDate(run.finishedAt)}</dd>
        <dt>Requested by</dt>
        <dd className="mono small">{by}</dd>
        <dt>Positions checked</dt>
        <dd>
          {run.fromPosition ?? '—'} to {run.headPosition ?? '—'}
        </dd>
        <dt>Head hash at the check</dt>
        <dd className="mono small">{run.headHash ?? '—'}</dd>
      </dl>
    </section>
  );
}

interface IntegrityState {
  anchor: { position: string; hash: string; readAt: string };
  latest: VerificationRun | null;
  lastFinished: VerificationRun | null;
}

export function IntegrityPage() {
  const state = useLoad<IntegrityState>('/audit/integrity');
  const [run, setRun] = useState<VerificationRun>();
  const action = useAction();
  const running =
    run?.status === 'running'
      ? run
      : state.data?.latest?.status === 'running'
        ? state.data.latest
        : undefined;

  // Polls a running check for its progress until it ends.
  useEffect(() => {
    if (!running) return;
    const timer = window.setTimeout(() => {
      void api.get<VerificationRun>(`/audit/integrity/runs/${running.id}`).then((next) => {
        setRun(next);
        if (next.status !== 'running') state.reload();
      });
    }, 500);
    return () => window.clearTimeout(timer);
  }, [running, state.reload]);

  const start = () =>
    void action.run(async () => {
      setRun(await api.post<VerificationRun>('/audit/integrity/runs'));
    });

  const anchor = state.data?.anchor;
  const anchorJson = anchor ? JSON.stringify(anchor) : '';
  const shown = run && run.status !== 'running' ? run : state.data?.lastFinished;
  return (
    <>
      <PageTitle>Integrity</PageTitle>
      <p>
        Each audit event holds the hash of the one before it. A check recomputes the whole chain and
        names the first position that does not match.
      </p>
      <ErrorMessage error={state.error ?? action.error} />
      {!state.data && state.loading && <Loading />}
      {anchor && (
        <section aria-labelledby="anchor-title">
          <h2 id="anchor-title">Chain head (anchor)</h2>
          <dl className="facts">
            <dt>Position</dt>
            <dd data-testid="head-position">{anchor.position}</dd>
            <dt>Head hash</dt>
            <dd className="mono small" data-testid="head-hash">
              {anchor.hash}
            </dd>
            <dt>Read at</dt>
            <dd>{formatDate(anchor.readAt)}</dd>
          </dl>
          <p className="hint">
            Keep anchors outside the database (as `audit:anchor` prints them): a chain rewritten by
            someone with database rights is revealed only by comparing with one.
          </p>
          <a
            className="button secondary"
            download={`audit-anchor-${anchor.position}.json`}
            href={`data:application/json;charset=utf-8,${encodeURIComponent(anchorJson)}`}
          >
            Download anchor
          </a>
        </section>
      )}
      <div className="actions">
        <button type="button" onClick={start} disabled={action.busy || running !== undefined}>
          {running ? 'Check running…' : 'Run integrity check'}
        </button>
      </div>
      {running && (
        <div role="status" aria-live="polite">
          <label className="progress">
            Checked {running.checkedEvents} of {running.totalEvents || '…'} events
            <progress max={running.totalEvents || 1} value={running.checkedEvents} />
          </label>
        </div>
      )}
      {shown ? (
        <RunResult run={shown} title={shown === run ? 'Result of this check' : 'Last check'} />
      ) : (
        state.data && <Status>No check has run yet.</Status>
      )}
    </>
  );
}

interface SummaryGroup {
  key: string | null;
  total: number;
  successes: number;
  failures: number;
  verifications: number;
  verified: number;
  simSwapChecks: number;
  simSwapPositives: number;
  latencyP50: number | null;
  latencyP95: number | null;
  verificationPassRate: number | null;
}

export function ReportPage() {
  const [groupBy, setGroupBy] = useState('day');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const report = useLoad<{ groups: SummaryGroup[] }>(
    `/audit/summary${query({ groupBy, from: isoOf(from), to: isoOf(to) })}`,
  );
  const groups = (report.data?.groups ?? []).map((group) => ({
    ...group,
    label: group.key === null ? '(none)' : groupBy === 'day' ? group.key.slice(0, 10) : group.key,
  }));
  return (
    <>
      <PageTitle>Summary report</PageTitle>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Group by
          <select value={groupBy} onChange={(event) => setGroupBy(event.target.value)}>
            <option value="day">day</option>
            <option value="client">client</option>
            <option value="action">action</option>
            <option value="operator">operator</option>
          </select>
        </label>
        <label>
          From
          <input
            type="datetime-local"
            value={from}
            onChange={(event) => setFrom(event.target.value)}
          />
        </label>
        <label>
          To
          <input type="datetime-local" value={to} onChange={(event) => setTo(event.target.value)} />
        </label>
      </form>
      <ErrorMessage error={report.error} />
      {groups.length > 0 && (
        <figure className="chart" aria-labelledby="report-caption">
          <ResponsiveContainer width="100%" height={320}>
            <BarChart data={groups} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="label" />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Legend />
              <Bar
                dataKey="successes"
                stackId="events"
                fill="#2f7d32"
                name="successes"
                maxBarSize={64}
              />
              <Bar
                dataKey="failures"
                stackId="events"
                fill="#b3261e"
                name="failures"
                maxBarSize={64}
              />
            </BarChart>
          </ResponsiveContainer>
          <figcaption id="report-caption">
            Events per {groupBy}: successes and failures (table below).
          </figcaption>
        </figure>
      )}
      <table>
        <caption>Summary per {groupBy}</caption>
        <thead>
          <tr>
            <th scope="col">{groupBy}</th>
            <th scope="col">Total</th>
            <th scope="col">Successes</th>
            <th scope="col">Failures</th>
            <th scope="col">Verifications</th>
            <th scope="col">Pass rate</th>
            <th scope="col">SIM-swap checks</th>
            <th scope="col">Swapped</th>
            <th scope="col">p50 / p95 latency</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((group) => (
            <tr key={group.label}>
              <th scope="row">{group.label}</th>
              <td>{group.total}</td>
              <td>{group.successes}</td>
              <td>{group.failures}</td>
              <td>{group.verifications}</td>
              <td>
                {group.verificationPassRate === null
                  ? '—'
                  : `${Math.round(group.verificationPassRate * 100)} %`}
              </td>
              <td>{group.simSwapChecks}</td>
              <td>{group.simSwapPositives}</td>
              <td>
                {group.latencyP50 ?? '—'} / {group.latencyP95 ?? '—'} ms
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

interface RetentionState {
  retentionDays: number;
  partitionsAheadMonths: number;
  partitions: { name: string; from: string; to: string }[];
  runs: AuditEvent[];
}

export function RetentionPage() {
  const state = useLoad<RetentionState>('/audit/retention');
  const data = state.data;
  return (
    <>
      <PageTitle>Retention</PageTitle>
      <ErrorMessage error={state.error} />
      {data && (
        <>
          <dl className="facts">
            <dt>Events are kept</dt>
            <dd>{data.retentionDays} days (whole months past it are dropped daily)</dd>
            <dt>Months created ahead</dt>
            <dd>{data.partitionsAheadMonths}</dd>
          </dl>
          <table>
            <caption>Monthly partitions</caption>
            <thead>
              <tr>
                <th scope="col">Partition</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
              </tr>
            </thead>
            <tbody>
              {data.partitions.map((partition) => (
                <tr key={partition.name}>
                  <td className="mono">{partition.name}</td>
                  <td>{partition.from.slice(0, 10)}</td>
                  <td>{partition.to.slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Retention runs</h2>
          {data.runs.length === 0 ? (
            <p>No month has been dropped yet.</p>
          ) : (
            <ul>
              {data.runs.map((run) => (
                <li key={run.id}>
                  {formatDate(run.occurredAt)}: <code>{JSON.stringify(run.detail)}</code>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </>
  );
}
