import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { query, type AuditEvent } from '../api';
import { ErrorMessage, formatDate, isoOf, json, Loading, PageTitle, Status, useLoad } from '../ui';

const FILTERS = [
  'from',
  'to',
  'clientId',
  'action',
  'contract',
  'outcome',
  'verdict',
  'serviceType',
  'operatorId',
  'phoneNumber',
  'correlationId',
] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** The filters as the API takes them (dates in ISO 8601). */
function apiFilters(filters: Partial<Filters>): Record<string, string | undefined> {
  return { ...filters, from: isoOf(filters.from ?? ''), to: isoOf(filters.to ?? '') };
}

export function AuditSearchPage() {
  // The filters live in the URL: a search can be bookmarked, and Back returns to it.
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(
    FILTERS.map((name) => [name, params.get(name) ?? '']),
  ) as Filters;
  const [filters, setFilters] = useState<Filters>(applied);
  const cursor = params.get('cursor') ?? undefined;
  const search = useLoad<{ items: AuditEvent[]; nextCursor: string | null }>(
    `/audit/events${query({ ...apiFilters(applied), cursor, limit: 50 })}`,
  );
  const exportQuery = query({ ...apiFilters(applied) }).replace(/^\?/, '&');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) if (filters[name]) next.set(name, filters[name]);
    setParams(next);
  };
  const field = (name: keyof Filters, label: string, props: Record<string, unknown> = {}) => (
    <label>
      {label}
      <input
        name={name}
        value={filters[name]}
        onChange={(event) => setFilters({ ...filters, [name]: event.target.value })}
        {...props}
      />
    </label>
  );

  return (
    <>
      <PageTitle>Audit search</PageTitle>
      <form className="filters" onSubmit={submit} aria-label="Filters">
        {field('from', 'From', { type: 'datetime-local' })}
        {field('to', 'To', { type: 'datetime-local' })}
        {field('correlationId', 'Correlation id')}
        {field('clientId', 'Client id')}
        {field('action', 'Action', { placeholder: 'verify' })}
        <label>
          Contract
          <select
            name="contract"
            value={filters.contract}
            onChange={(event) => setFilters({ ...filters, contract: event.target.value })}
          >
            <option value="">Any</option>
            {['authmatech', 'identity_match', 'camara', 'admin', 'system'].map((contract) => (
              <option key={contract}>{contract}</option>
            ))}
          </select>
        </label>
        <label>
          Outcome
          <select
            name="outcome"
            value={filters.outcome}
            onChange={(event) => setFilters({ ...filters, outcome: event.target.value })}
          >
            <option value="">Any</option>
            <option>success</option>
            <option>failure</option>
          </select>
        </label>
        {field('verdict', 'Verdict', { placeholder: 'validNumber:true' })}
        {field('serviceType', 'Service type')}
        {field('operatorId', 'Operator')}
        {field('phoneNumber', 'Phone number (searched by its hash)', { type: 'tel' })}
        <button type="submit">Search</button>
      </form>
      <p className="actions">
        <a
          className="button secondary"
          href={`/console/api/audit/export?format=csv${exportQuery}`}
          download
        >
          Export CSV
        </a>{' '}
        <a
          className="button secondary"
          href={`/console/api/audit/export?format=ndjson${exportQuery}`}
          download
        >
          Export NDJSON
        </a>
      </p>
      <ErrorMessage error={search.error} />
      {search.loading && !search.data ? (
        <Loading />
      ) : (
        <table>
          <caption>Events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Client</th>
              <th scope="col">Outcome</th>
              <th scope="col">Status</th>
              <th scope="col">Number</th>
              <th scope="col">Correlation id</th>
            </tr>
          </thead>
          <tbody>
            {(search.data?.items ?? []).map((event) => (
              <tr key={event.id}>
                <td>
                  <Link to={`/audit/events/${event.id}`} aria-label={`Event ${event.id}`}>
                    {event.id}
                  </Link>
                </td>
                <td>{formatDate(event.occurredAt)}</td>
                <td>{event.action}</td>
                <td>
                  {event.actorType}
                  {event.actorId ? <span className="mono small"> {event.actorId}</span> : null}
                </td>
                <td className="mono small">{event.clientId ?? '—'}</td>
                <td>{event.outcome}</td>
                <td>
                  {event.httpStatus ?? '—'} {event.errorCode ?? ''}
                </td>
                <td className="mono">{event.phoneMasked ?? '—'}</td>
                <td className="mono small">{event.correlationId ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {search.data?.items.length === 0 && <Status>No event matches.</Status>}
      {search.data?.nextCursor && (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            const next = new URLSearchParams(params);
            next.set('cursor', search.data!.nextCursor!);
            setParams(next);
          }}
        >
          Older events
        </button>
      )}
    </>
  );
}

export function AuditEventPage() {
  const { eventId = '' } = useParams();
  const event = useLoad<AuditEvent>(`/audit/events/${encodeURIComponent(eventId)}`);
  const record = event.data;
  return (
    <>
      <PageTitle>{`Event ${eventId}`}</PageTitle>
      <p>
        <Link to="/audit/events">Back to the search</Link>
      </p>
      <ErrorMessage error={event.error} />
      {record && (
        <dl className="facts wide">
          {(Object.keys(record) as (keyof AuditEvent)[]).map((key) => (
            <div key={key} className="fact">
              <dt>{key}</dt>
              <dd className="mono">
                {key === 'occurredAt'
                  ? `${record.occurredAt} (${formatDate(record.occurredAt)})`
                  : json(record[key]).replace(/^"(.*)"$/, '$1')}
              </dd>
            </div>
          ))}
        </dl>
      )}
    </>
  );
}
