import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, PRODUCTS, type Balance, type Client, type LedgerEntry } from '../api';
import {
  ErrorMessage,
  formatDate,
  Loading,
  PageTitle,
  SecretOnce,
  Status,
  useAction,
  useLoad,
} from '../ui';
import { BalancePanel, CredentialsPanel } from './client';

interface CreatedClient {
  client: Client;
  credentials: { apiKey: string; clientSecret: string; jwtKeyId: string; jwtSecret: string };
}

function ProductChoices({
  selected,
  onChange,
}: {
  selected: string[];
  onChange: (products: string[]) => void;
}) {
  return (
    <fieldset>
      <legend>Products</legend>
      {PRODUCTS.map((product) => (
        <label key={product} className="check">
          <input
            type="checkbox"
            checked={selected.includes(product)}
            onChange={(event) =>
              onChange(
                event.target.checked
                  ? [...selected, product]
                  : selected.filter((entry) => entry !== product),
              )
            }
          />{' '}
          {product}
        </label>
      ))}
    </fieldset>
  );
}

export function ClientsPage() {
  const clients = useLoad<{ items: Client[] }>('/admin/clients');
  const [name, setName] = useState('');
  const [environment, setEnvironment] = useState<'SANDBOX' | 'LIVE'>('SANDBOX');
  const [products, setProducts] = useState<string[]>(['VERIFY', 'SIM_SWAP']);
  const [rateLimit, setRateLimit] = useState('');
  const [created, setCreated] = useState<CreatedClient>();
  const action = useAction();

  const create = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      setCreated(
        await api.post<CreatedClient>('/admin/clients', {
          name,
          environment,
          products,
          ...(rateLimit ? { rateLimitPerMinute: Number(rateLimit) } : {}),
        }),
      );
      setName('');
      clients.reload();
    });
  };

  return (
    <>
      <PageTitle>Clients</PageTitle>
      {created && (
        <SecretOnce
          label="New client’s API key"
          value={created.credentials.apiKey}
          onDismiss={() => setCreated(undefined)}
        >
          <p>
            Client <code>{created.client.clientId}</code>. Its client secret, JWT key id and JWT
            secret are below, also shown once.
          </p>
          <label>
            Client secret
            <input readOnly value={created.credentials.clientSecret} className="mono" />
          </label>
          <label>
            JWT key id (kid)
            <input readOnly value={created.credentials.jwtKeyId} className="mono" />
          </label>
          <label>
            JWT secret
            <input readOnly value={created.credentials.jwtSecret} className="mono" />
          </label>
        </SecretOnce>
      )}
      <ErrorMessage error={clients.error} />
      {clients.loading && !clients.data ? (
        <Loading />
      ) : (
        <table>
          <caption>All clients</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Client ID</th>
              <th scope="col">Environment</th>
              <th scope="col">Products</th>
              <th scope="col">Status</th>
              <th scope="col">Rate limit</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {(clients.data?.items ?? []).map((client) => (
              <tr key={client.clientId}>
                <td>
                  <Link to={`/admin/clients/${client.clientId}`}>{client.name}</Link>
                </td>
                <td className="mono">{client.clientId}</td>
                <td>{client.environment}</td>
                <td>{client.products.join(', ')}</td>
                <td>{client.status}</td>
                <td>{client.rateLimitPerMinute}/min</td>
                <td>{formatDate(client.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section aria-labelledby="create-client">
        <h2 id="create-client">Create a client</h2>
        <form onSubmit={create}>
          <label>
            Name
            <input
              required
              maxLength={200}
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
          </label>
          <label>
            Environment
            <select
              value={environment}
              onChange={(event) => setEnvironment(event.target.value as 'SANDBOX' | 'LIVE')}
            >
              <option value="SANDBOX">Sandbox</option>
              <option value="LIVE">Live</option>
            </select>
          </label>
          <ProductChoices selected={products} onChange={setProducts} />
          <label>
            Rate limit (requests per minute, empty = default)
            <input
              type="number"
              min={1}
              value={rateLimit}
              onChange={(event) => setRateLimit(event.target.value)}
            />
          </label>
          <ErrorMessage error={action.error} />
          <button type="submit" disabled={action.busy}>
            Create client
          </button>
        </form>
      </section>
    </>
  );
}

interface ClientDetail {
  client: Client;
  balance: Balance;
  balanceHistory: LedgerEntry[];
}

export function ClientDetailPage() {
  const { clientId = '' } = useParams();
  const base = `/admin/clients/${encodeURIComponent(clientId)}`;
  const detail = useLoad<ClientDetail>(base);
  const [edit, setEdit] = useState<{
    name: string;
    products: string[];
    rateLimit: string;
    allowedOrigins: string;
  }>();
  const [credits, setCredits] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [saved, setSaved] = useState('');
  const action = useAction();
  const client = detail.data?.client;

  const save = (event: FormEvent) => {
    event.preventDefault();
    if (!edit) return;
    void action.run(async () => {
      // One origin a line; blank lines are ignored, everything else goes to the server, which checks it.
      // Sent only when changed, so the audit event lists the origins only when they change.
      const allowedOrigins = edit.allowedOrigins
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      const originsChanged =
        allowedOrigins.join('\n') !== (client?.allowedOrigins ?? []).join('\n');
      await api.patch(base, {
        name: edit.name,
        products: edit.products,
        rateLimitPerMinute: Number(edit.rateLimit),
        ...(originsChanged && { allowedOrigins }),
      });
      setEdit(undefined);
      setSaved('Client saved.');
      detail.reload();
    });
  };
  const setStatus = (status: 'active' | 'suspended') =>
    void action.run(async () => {
      await api.patch(base, { status });
      setSaved(
        status === 'suspended'
          ? 'Client suspended: its calls are refused.'
          : 'Client active again.',
      );
      detail.reload();
    });
  const topUp = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await api.post(`${base}/top-up`, {
        credits: Number(credits),
        ...(expiresAt ? { expiresAt: new Date(`${expiresAt}T23:59:59Z`).toISOString() } : {}),
      });
      setCredits('');
      setSaved('Balance topped up.');
      detail.reload();
    });
  };

  return (
    <>
      <PageTitle>{client ? `Client ${client.name}` : 'Client'}</PageTitle>
      <p>
        <Link to="/admin/clients">All clients</Link>
      </p>
      {/* While the edit form is open, its own message shows the refusal, next to the fields. */}
      <ErrorMessage error={detail.error ?? (edit ? undefined : action.error)} />
      {saved && <Status>{saved}</Status>}
      {client && (
        <>
          <dl className="facts">
            <dt>Client ID</dt>
            <dd className="mono">{client.clientId}</dd>
            <dt>Environment</dt>
            <dd>{client.environment}</dd>
            <dt>Status</dt>
            <dd>{client.status}</dd>
            <dt>Products</dt>
            <dd>{client.products.join(', ')}</dd>
            <dt>Rate limit</dt>
            <dd>{client.rateLimitPerMinute}/min</dd>
            <dt>Allowed origins</dt>
            <dd data-testid="allowed-origins">
              {client.allowedOrigins.length === 0 ? (
                'none (no browser page may use its SDK tokens)'
              ) : (
                <ul className="plain">
                  {client.allowedOrigins.map((origin) => (
                    <li key={origin} className="mono">
                      {origin}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
          <p>
            <Link to={`/admin/clients/${encodeURIComponent(client.clientId)}/policies`}>
              Intelligence policies
            </Link>
          </p>
          <div className="actions">
            <button
              type="button"
              className="secondary"
              onClick={() =>
                setEdit({
                  name: client.name,
                  products: client.products,
                  rateLimit: String(client.rateLimitPerMinute),
                  allowedOrigins: client.allowedOrigins.join('\n'),
                })
              }
            >
              Edit
            </button>
            {client.status === 'active' ? (
              <button type="button" className="danger" onClick={() => setStatus('suspended')}>
                Suspend
              </button>
            ) : (
              <button type="button" onClick={() => setStatus('active')}>
                Reactivate
              </button>
            )}
          </div>
          {edit && (
            <form onSubmit={save}>
              <label>
                Name
                <input
                  required
                  value={edit.name}
                  onChange={(event) => setEdit({ ...edit, name: event.target.value })}
                />
              </label>
              <ProductChoices
                selected={edit.products}
                onChange={(products) => setEdit({ ...edit, products })}
              />
              <label>
                Rate limit (requests per minute)
                <input
                  type="number"
                  min={1}
                  required
                  value={edit.rateLimit}
                  onChange={(event) => setEdit({ ...edit, rateLimit: event.target.value })}
                />
              </label>
              <label>
                Allowed origins (one per line)
                <textarea
                  className="mono"
                  rows={3}
                  spellCheck={false}
                  aria-describedby="allowed-origins-hint"
                  value={edit.allowedOrigins}
                  onChange={(event) => setEdit({ ...edit, allowedOrigins: event.target.value })}
                />
              </label>
              <p className="hint" id="allowed-origins-hint">
                The pages that may run the Web SDK with this client, exactly as browsers send them:
                https://bank.example or https://bank.example:8443 (no path or trailing slash; a live
                client https only; at most 20). Empty: no browser page.
              </p>
              <ErrorMessage error={action.error} />
              <button type="submit" disabled={action.busy}>
                Save
              </button>{' '}
              <button type="button" className="secondary" onClick={() => setEdit(undefined)}>
                Cancel
              </button>
            </form>
          )}
          <BalancePanel
            balance={detail.data!.balance}
            charged={client.environment === 'LIVE'}
            history={detail.data!.balanceHistory}
          />
          <form onSubmit={topUp} aria-label="Top up">
            <label>
              Credits to add
              <input
                type="number"
                min={1}
                required
                value={credits}
                onChange={(event) => setCredits(event.target.value)}
              />
            </label>
            <label>
              Balance expires on (optional)
              <input
                type="date"
                value={expiresAt}
                onChange={(event) => setExpiresAt(event.target.value)}
              />
            </label>
            <button type="submit" disabled={action.busy}>
              Top up
            </button>
          </form>
          <CredentialsPanel base={base} kinds={['api_key', 'jwt_key', 'client_secret']} />
        </>
      )}
    </>
  );
}
