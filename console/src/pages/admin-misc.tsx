import { useState, type FormEvent } from 'react';
import { api, type Credential, type Operator } from '../api';
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

export function OperatorsPage() {
  const operators = useLoad<{ operators: Operator[] }>('/admin/operators');
  const [form, setForm] = useState({
    id: '',
    name: '',
    country: '',
    prefixes: '',
    header: '',
    adapterKind: 'sandbox',
  });
  const action = useAction();
  const create = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await api.post('/admin/operators', {
        id: form.id,
        name: form.name,
        country: form.country.toUpperCase(),
        numberPrefixes: form.prefixes
          .split(',')
          .map((prefix) => prefix.trim())
          .filter(Boolean),
        ...(form.header ? { enrichmentHeader: form.header } : {}),
        adapterKind: form.adapterKind,
      });
      setForm({ id: '', name: '', country: '', prefixes: '', header: '', adapterKind: 'sandbox' });
      operators.reload();
    });
  };
  const toggle = (operator: Operator) =>
    void action.run(async () => {
      await api.patch(`/admin/operators/${operator.id}`, { enabled: !operator.enabled });
      operators.reload();
    });
  return (
    <>
      <PageTitle>Operators</PageTitle>
      <ErrorMessage error={operators.error ?? action.error} />
      {operators.loading && !operators.data ? (
        <Loading />
      ) : (
        <table>
          <caption>Mobile network operators</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              <th scope="col">Country</th>
              <th scope="col">Prefixes</th>
              <th scope="col">Adapter</th>
              <th scope="col">Enabled</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(operators.data?.operators ?? []).map((operator) => (
              <tr key={operator.id}>
                <td className="mono">{operator.id}</td>
                <td>{operator.name}</td>
                <td>{operator.country}</td>
                <td className="mono">{operator.numberPrefixes.join(', ')}</td>
                <td>{operator.adapterKind}</td>
                <td>{operator.enabled ? 'yes' : 'no'}</td>
                <td>
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => toggle(operator)}
                    aria-label={`${operator.enabled ? 'Disable' : 'Enable'} operator ${operator.id}`}
                  >
                    {operator.enabled ? 'Disable' : 'Enable'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section aria-labelledby="add-operator">
        <h2 id="add-operator">Add an operator</h2>
        <p className="hint">
          Upstream and CAMARA operators need settings and secrets: set those through the admin API
          (README, “Operators”).
        </p>
        <form onSubmit={create}>
          <label>
            Id
            <input
              required
              pattern="[A-Z0-9_]{2,40}"
              value={form.id}
              onChange={(event) => setForm({ ...form, id: event.target.value })}
            />
          </label>
          <label>
            Name
            <input
              required
              value={form.name}
              onChange={(event) => setForm({ ...form, name: event.target.value })}
            />
          </label>
          <label>
            Country (ISO 3166 alpha-2)
            <input
              required
              pattern="[A-Za-z]{2}"
              maxLength={2}
              value={form.country}
              onChange={(event) => setForm({ ...form, country: event.target.value })}
            />
          </label>
          <label>
            Number prefixes (comma-separated, e.g. +96279)
            <input
              required
              value={form.prefixes}
              onChange={(event) => setForm({ ...form, prefixes: event.target.value })}
            />
          </label>
          <label>
            Enrichment header (optional)
            <input
              value={form.header}
              onChange={(event) => setForm({ ...form, header: event.target.value })}
            />
          </label>
          <label>
            Adapter
            <select
              value={form.adapterKind}
              onChange={(event) => setForm({ ...form, adapterKind: event.target.value })}
            >
              <option value="sandbox">sandbox</option>
              <option value="upstream">upstream</option>
              <option value="camara">camara</option>
            </select>
          </label>
          <button type="submit" disabled={action.busy}>
            Add operator
          </button>
        </form>
      </section>
    </>
  );
}

export function AdminKeysPage() {
  const keys = useLoad<{ items: Credential[] }>('/admin/admin-keys');
  const [role, setRole] = useState<'admin' | 'auditor'>('auditor');
  const [created, setCreated] = useState<{ id: string; key: string; role: string }>();
  const action = useAction();
  return (
    <>
      <PageTitle>Admin keys</PageTitle>
      <p className="hint">
        Keys for the admin API (`Authorization: Bearer …`), for scripts and tools. People use
        console accounts instead.
      </p>
      {created && (
        <SecretOnce
          label={`New ${created.role} key`}
          value={created.key}
          onDismiss={() => setCreated(undefined)}
        />
      )}
      <ErrorMessage error={keys.error ?? action.error} />
      <form
        className="filters"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            setCreated(await api.post('/admin/admin-keys', { role }));
            keys.reload();
          });
        }}
      >
        <label>
          Role
          <select
            value={role}
            onChange={(event) => setRole(event.target.value as 'admin' | 'auditor')}
          >
            <option value="auditor">auditor</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" disabled={action.busy}>
          Create key
        </button>
      </form>
      {keys.loading && !keys.data ? (
        <Loading />
      ) : (
        <table>
          <caption>Admin keys</caption>
          <thead>
            <tr>
              <th scope="col">Fingerprint</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(keys.data?.items ?? []).map((key) => (
              <tr key={key.id}>
                <td className="mono">{key.fingerprint}</td>
                <td>{key.role}</td>
                <td>{key.status}</td>
                <td>{formatDate(key.createdAt)}</td>
                <td>{formatDate(key.lastUsedAt)}</td>
                <td>
                  {key.status === 'active' && (
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Revoke admin key ${key.fingerprint}`}
                      onClick={() =>
                        void action.run(async () => {
                          await api.post(`/admin/admin-keys/${key.id}/revoke`);
                          keys.reload();
                        })
                      }
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function SandboxPage() {
  const [phoneNumber, setPhoneNumber] = useState('');
  const [sim, setSim] = useState('');
  const [device, setDevice] = useState('');
  const [done, setDone] = useState('');
  const action = useAction();
  const iso = (local: string) => (local ? new Date(local).toISOString() : null);
  return (
    <>
      <PageTitle>Sandbox numbers</PageTitle>
      <p className="hint">
        Set what a sandbox number answers to SIM-swap and device-swap checks (only numbers of
        sandbox operators).
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            await api.put('/admin/sandbox/sim-swap', {
              phoneNumber,
              latestSimChange: iso(sim),
              latestDeviceChange: iso(device),
            });
            setDone(`${phoneNumber} now answers the dates set.`);
          });
        }}
      >
        <label>
          Phone number (E.164)
          <input
            required
            pattern="\+[1-9][0-9]{4,14}"
            value={phoneNumber}
            onChange={(event) => setPhoneNumber(event.target.value)}
          />
        </label>
        <label>
          Latest SIM change (empty = never swapped)
          <input
            type="datetime-local"
            value={sim}
            onChange={(event) => setSim(event.target.value)}
          />
        </label>
        <label>
          Latest device change (empty = same device since activation)
          <input
            type="datetime-local"
            value={device}
            onChange={(event) => setDevice(event.target.value)}
          />
        </label>
        <button type="submit" disabled={action.busy}>
          Save
        </button>{' '}
        <button
          type="button"
          className="secondary"
          disabled={action.busy || !phoneNumber}
          onClick={() =>
            void action.run(async () => {
              await api.delete('/admin/sandbox/sim-swap', { phoneNumber });
              setDone(`${phoneNumber} answers its built-in dates again.`);
            })
          }
        >
          Reset to built-in
        </button>
      </form>
      <ErrorMessage error={action.error} />
      {done && <Status>{done}</Status>}
    </>
  );
}
