import { useMemo, useState, type FormEvent } from 'react';
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
import {
  api,
  productOfAction,
  query,
  type Balance,
  type Client,
  type Credential,
  type Issued,
  type LedgerEntry,
} from '../api';
import { useSession } from '../session';
import {
  ErrorMessage,
  formatDate,
  isoOf,
  json,
  Loading,
  PageTitle,
  SecretOnce,
  Status,
  useAction,
  useLoad,
} from '../ui';

const KIND_LABEL: Record<string, string> = {
  api_key: 'API key',
  jwt_key: 'JWT key',
  client_secret: 'Client secret',
  admin_key: 'Admin key',
};

const GRACE_CHOICES: [string, string][] = [
  ['0', 'End the old one now'],
  ['3600', '1 hour'],
  ['86400', '24 hours'],
  ['604800', '7 days'],
  ['custom', 'Other (seconds)'],
];

/** A credential as a listing shows it, forever masked: only the fingerprint identifies it. */
function maskedCredential(credential: Credential): string {
  return credential.kind === 'jwt_key'
    ? `kid ${credential.id}`
    : `•••••••• ${credential.fingerprint}`;
}

/** Issue, rotate and revoke a client's credentials; `base` is the client's API path. */
export function CredentialsPanel({ base, kinds }: { base: string; kinds: Credential['kind'][] }) {
  const list = useLoad<{ items: Credential[] }>(`${base}/credentials`);
  const [issued, setIssued] = useState<Issued>();
  const [rotating, setRotating] = useState<string>();
  const [grace, setGrace] = useState('86400');
  const [customGrace, setCustomGrace] = useState('');
  const action = useAction();

  const issue = (kind: Credential['kind']) =>
    action.run(async () => {
      setIssued(await api.post<Issued>(`${base}/credentials`, { kind }));
      list.reload();
    });

  const rotate = (event: FormEvent, credential: Credential) => {
    event.preventDefault();
    void action.run(async () => {
      const seconds = grace === 'custom' ? Number(customGrace) : Number(grace);
      if (!Number.isInteger(seconds) || seconds < 0)
        throw new Error('The grace period must be a whole number of seconds.');
      setIssued(
        await api.post<Issued>(`${base}/credentials/${credential.id}/rotate`, {
          gracePeriodSeconds: seconds,
        }),
      );
      setRotating(undefined);
      list.reload();
    });
  };

  const revoke = (credential: Credential) => {
    if (
      !window.confirm(
        `Revoke this ${KIND_LABEL[credential.kind]} now? Calls using it fail at once.`,
      )
    )
      return;
    void action.run(async () => {
      await api.post(`${base}/credentials/${credential.id}/revoke`);
      list.reload();
    });
  };

  const shown = (list.data?.items ?? []).filter((credential) => kinds.includes(credential.kind));
  return (
    <section aria-labelledby="credentials-title">
      <h2 id="credentials-title">Keys</h2>
      {issued && (
        <SecretOnce
          label={`New ${KIND_LABEL[issued.credential.kind]}`}
          value={issued.secret}
          onDismiss={() => setIssued(undefined)}
        >
          {issued.credential.kind === 'jwt_key' && (
            <p>
              Key id (kid): <code>{issued.credential.id}</code>
            </p>
          )}
          {issued.previousValidUntil && (
            <p>The key it replaces keeps working until {formatDate(issued.previousValidUntil)}.</p>
          )}
        </SecretOnce>
      )}
      <div className="actions">
        {kinds.map((kind) => (
          <button key={kind} type="button" disabled={action.busy} onClick={() => void issue(kind)}>
            Generate {KIND_LABEL[kind]}
          </button>
        ))}
      </div>
      <ErrorMessage error={action.error ?? list.error} />
      {list.loading && !list.data ? (
        <Loading />
      ) : (
        <table>
          <caption>Credentials (secrets are never shown again)</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Key</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Valid until</th>
              <th scope="col">Last used</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((credential) => (
              <tr key={credential.id}>
                <td>{KIND_LABEL[credential.kind]}</td>
                <td className="mono">{maskedCredential(credential)}</td>
                <td>{credential.status}</td>
                <td>{formatDate(credential.createdAt)}</td>
                <td>
                  {credential.expiresAt
                    ? formatDate(credential.expiresAt)
                    : credential.status === 'active'
                      ? 'no end'
                      : formatDate(credential.endedAt)}
                </td>
                <td>{formatDate(credential.lastUsedAt)}</td>
                <td>
                  {credential.status === 'active' && rotating !== credential.id && (
                    <>
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => setRotating(credential.id)}
                        aria-label={`Rotate ${KIND_LABEL[credential.kind]} ${credential.fingerprint}`}
                      >
                        Rotate
                      </button>{' '}
                      <button
                        type="button"
                        className="danger"
                        onClick={() => revoke(credential)}
                        aria-label={`Revoke ${KIND_LABEL[credential.kind]} ${credential.fingerprint}`}
                      >
                        Revoke
                      </button>
                    </>
                  )}
                  {rotating === credential.id && (
                    <form className="rotate" onSubmit={(event) => rotate(event, credential)}>
                      <label>
                        Keep the old key working for
                        <select value={grace} onChange={(event) => setGrace(event.target.value)}>
                          {GRACE_CHOICES.map(([value, label]) => (
                            <option key={value} value={value}>
                              {label}
                            </option>
                          ))}
                        </select>
                      </label>
                      {grace === 'custom' && (
                        <label>
                          Grace period in seconds
                          <input
                            type="number"
                            min={0}
                            max={2592000}
                            required
                            value={customGrace}
                            onChange={(event) => setCustomGrace(event.target.value)}
                          />
                        </label>
                      )}
                      <button type="submit" disabled={action.busy}>
                        Rotate now
                      </button>{' '}
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => setRotating(undefined)}
                      >
                        Cancel
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function BalancePanel({
  balance,
  charged,
  history,
}: {
  balance: Balance;
  charged: boolean;
  history: LedgerEntry[] | undefined;
}) {
  return (
    <section aria-labelledby="balance-title">
      <h2 id="balance-title">Balance</h2>
      {charged ? (
        <p>
          <strong>{balance.credits}</strong> verification credits
          {balance.expiresAt ? `, expiring ${formatDate(balance.expiresAt)}` : ''}
          {balance.expired ? ' (expired)' : ''}.
        </p>
      ) : (
        <p>Sandbox: calls are never charged.</p>
      )}
      {history && history.length > 0 && (
        <table>
          <caption>Balance history</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Change</th>
              <th scope="col">Kind</th>
              <th scope="col">Balance after</th>
            </tr>
          </thead>
          <tbody>
            {history.map((entry, index) => (
              <tr key={`${entry.at}-${index}`}>
                <td>{formatDate(entry.at)}</td>
                <td>{entry.change > 0 ? `+${entry.change}` : entry.change}</td>
                <td>{entry.kind}</td>
                <td>{entry.balanceAfter}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function useClientBase(): string | null {
  const { clientId } = useSession();
  return clientId ? `/client/${encodeURIComponent(clientId)}` : null;
}

export function ClientHomePage() {
  const base = useClientBase();
  const overview = useLoad<{ client: Client; balance: Balance; charged: boolean }>(base);
  const history = useLoad<{ entries: LedgerEntry[] }>(base && `${base}/balance-history`);
  const [copied, setCopied] = useState(false);
  if (!base) return <p>No client is bound to your account; ask an administrator.</p>;
  const client = overview.data?.client;
  return (
    <>
      <PageTitle>Keys &amp; balance</PageTitle>
      <ErrorMessage error={overview.error} />
      {client && (
        <section aria-labelledby="client-title">
          <h2 id="client-title">{client.name}</h2>
          <dl className="facts">
            <dt>Client ID (X-CLIENT-ID)</dt>
            <dd>
              <code data-testid="client-id">{client.clientId}</code>{' '}
              <button
                type="button"
                className="secondary"
                onClick={() =>
                  void navigator.clipboard?.writeText(client.clientId).then(() => setCopied(true))
                }
              >
                Copy
              </button>
              {copied && <span role="status"> Copied.</span>}
            </dd>
            <dt>Environment</dt>
            <dd>{client.environment === 'LIVE' ? 'Live' : 'Sandbox'}</dd>
            <dt>Status</dt>
            <dd>{client.status}</dd>
            <dt>Products</dt>
            <dd>{client.products.join(', ') || 'none'}</dd>
            <dt>Rate limit</dt>
            <dd>{client.rateLimitPerMinute} requests per minute</dd>
          </dl>
        </section>
      )}
      <CredentialsPanel key={base} base={base} kinds={['api_key', 'jwt_key', 'client_secret']} />
      {overview.data && (
        <BalancePanel
          balance={overview.data.balance}
          charged={overview.data.charged}
          history={history.data?.entries}
        />
      )}
    </>
  );
}

interface UsageRow {
  day: string;
  action: string;
  total: number;
  successes: number;
  failures: number;
}

const PRODUCT_COLORS: Record<string, string> = {
  VERIFY: '#1f5fbf',
  SIM_SWAP: '#a0461c',
  DEVICE_SWAP: '#2f7d32',
  TRUST: '#6a3fa0',
  SHIELD: '#805b00',
  DETECT: '#00707a',
};

/** Calls per day and product, from the per-day-and-action counts. */
function usageByDay(rows: UsageRow[]): {
  days: Record<string, number | string>[];
  products: string[];
} {
  const byDay = new Map<string, Record<string, number | string>>();
  const products = new Set<string>();
  for (const row of rows) {
    // Key changes, token minting and the like are not product usage.
    const product = productOfAction(row.action);
    if (!product) continue;
    products.add(product);
    const day = row.day.slice(0, 10);
    const entry = byDay.get(day) ?? { day };
    entry[product] = Number(entry[product] ?? 0) + row.total;
    byDay.set(day, entry);
  }
  return {
    days: [...byDay.values()].sort((a, b) => String(a.day).localeCompare(String(b.day))),
    products: [...products].sort(),
  };
}

export function ClientUsagePage() {
  const base = useClientBase();
  const [from, setFrom] = useState(() =>
    new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10),
  );
  const [to, setTo] = useState('');
  const path =
    base &&
    `${base}/usage${query({ from: from ? new Date(`${from}T00:00:00Z`).toISOString() : undefined, to: to ? new Date(`${to}T23:59:59.999Z`).toISOString() : undefined })}`;
  const usage = useLoad<{ days: UsageRow[] }>(path);
  const chart = useMemo(() => usageByDay(usage.data?.days ?? []), [usage.data]);
  return (
    <>
      <PageTitle>Usage</PageTitle>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          From (day)
          <input type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <label>
          To (day)
          <input type="date" value={to} onChange={(event) => setTo(event.target.value)} />
        </label>
      </form>
      <ErrorMessage error={usage.error} />
      {usage.loading && !usage.data ? (
        <Loading />
      ) : chart.days.length === 0 ? (
        <p>No calls in this period.</p>
      ) : (
        <>
          <figure className="chart" aria-labelledby="usage-caption">
            <ResponsiveContainer width="100%" height={320}>
              <BarChart data={chart.days} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="day" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                {chart.products.map((product) => (
                  <Bar
                    key={product}
                    dataKey={product}
                    stackId="calls"
                    fill={PRODUCT_COLORS[product] ?? '#5c5c5c'}
                    name={product}
                    maxBarSize={64}
                  />
                ))}
              </BarChart>
            </ResponsiveContainer>
            <figcaption id="usage-caption">Calls per day and product (table below).</figcaption>
          </figure>
          <table>
            <caption>Calls per day and product</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {chart.products.map((product) => (
                  <th key={product} scope="col">
                    {product}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {chart.days.map((day) => (
                <tr key={String(day.day)}>
                  <th scope="row">{day.day}</th>
                  {chart.products.map((product) => (
                    <td key={product}>{day[product] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

interface CallRow {
  id: string;
  occurredAt: string;
  correlationId: string | null;
  action: string;
  serviceType: string | null;
  operatorId: string | null;
  phoneNumberMasked: string | null;
  outcome: string;
  verdict: unknown;
  httpStatus: number | null;
  errorCode: string | null;
  latencyMs: number | null;
}

export function ClientCallsPage() {
  const base = useClientBase();
  const [filters, setFilters] = useState({ from: '', to: '', action: '', outcome: '' });
  const [applied, setApplied] = useState(filters);
  const [cursor, setCursor] = useState<string>();
  const path =
    base &&
    `${base}/calls${query({ from: isoOf(applied.from), to: isoOf(applied.to), action: applied.action, outcome: applied.outcome, cursor, limit: 50 })}`;
  const calls = useLoad<{ items: CallRow[]; nextCursor: string | null }>(path);
  return (
    <>
      <PageTitle>Verifications and checks</PageTitle>
      <form
        className="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setCursor(undefined);
          setApplied(filters);
        }}
      >
        <label>
          From
          <input
            type="datetime-local"
            value={filters.from}
            onChange={(event) => setFilters({ ...filters, from: event.target.value })}
          />
        </label>
        <label>
          To
          <input
            type="datetime-local"
            value={filters.to}
            onChange={(event) => setFilters({ ...filters, to: event.target.value })}
          />
        </label>
        <label>
          Action
          <select
            value={filters.action}
            onChange={(event) => setFilters({ ...filters, action: event.target.value })}
          >
            <option value="">Any</option>
            <option value="verify">verify</option>
            <option value="enrichment">enrichment</option>
            <option value="sim_swap.check">sim_swap.check</option>
            <option value="sim_swap.retrieve_date">sim_swap.retrieve_date</option>
            <option value="identity_match.sim_swap">identity_match.sim_swap</option>
            <option value="device_swap.check">device_swap.check</option>
          </select>
        </label>
        <label>
          Outcome
          <select
            value={filters.outcome}
            onChange={(event) => setFilters({ ...filters, outcome: event.target.value })}
          >
            <option value="">Any</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorMessage error={calls.error} />
      {calls.loading && !calls.data ? (
        <Loading />
      ) : (
        <table>
          <caption>Your calls, newest first (numbers masked)</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Number</th>
              <th scope="col">Operator</th>
              <th scope="col">Verdict</th>
              <th scope="col">Status</th>
              <th scope="col">Latency</th>
              <th scope="col">Correlation id</th>
            </tr>
          </thead>
          <tbody>
            {(calls.data?.items ?? []).map((call) => (
              <tr key={call.id}>
                <td>{formatDate(call.occurredAt)}</td>
                <td>{call.action}</td>
                <td className="mono">{call.phoneNumberMasked ?? '—'}</td>
                <td>{call.operatorId ?? '—'}</td>
                <td className="mono">{json(call.verdict)}</td>
                <td>
                  {call.httpStatus ?? '—'} {call.errorCode ?? ''}
                </td>
                <td>{call.latencyMs === null ? '—' : `${call.latencyMs} ms`}</td>
                <td className="mono small">{call.correlationId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {calls.data?.items.length === 0 && <Status>No calls match.</Status>}
      {calls.data?.nextCursor && (
        <button
          type="button"
          className="secondary"
          onClick={() => setCursor(calls.data!.nextCursor!)}
        >
          Older
        </button>
      )}
    </>
  );
}
