import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, SERVICE_TYPES, type Client, type ServiceType, type VersionedPolicy } from '../api';
import { ErrorMessage, formatDate, Loading, PageTitle, Status, useAction, useLoad } from '../ui';

/** The clients, each with a link to its policies (policies are per client). */
export function PolicyClientsPage() {
  const clients = useLoad<{ items: Client[] }>('/admin/clients');
  return (
    <>
      <PageTitle>Policies</PageTitle>
      <p className="hint">
        Intelligence policies (Trust, Shield, Detect) are set per client and service type. Choose a
        client.
      </p>
      <ErrorMessage error={clients.error} />
      {clients.loading && !clients.data ? (
        <Loading />
      ) : (
        <ul>
          {(clients.data?.items ?? []).map((client) => (
            <li key={client.clientId}>
              <Link
                to={`/admin/clients/${encodeURIComponent(client.clientId)}/policies`}
              >{`Policies of ${client.name}`}</Link>{' '}
              <span className="mono">{client.clientId}</span> ({client.environment})
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/**
 * A client's intelligence policies: the version in force per service type, the versions of one,
 * and a new version written as JSON. The server validates it (the same checks as the admin API)
 * and its refusals are shown as they come.
 */
export function PoliciesPage() {
  const { clientId = '' } = useParams();
  const base = `/admin/clients/${encodeURIComponent(clientId)}`;
  const client = useLoad<{ client: Client }>(base);
  const active = useLoad<Record<ServiceType, VersionedPolicy>>(`${base}/policies`);
  const [selected, setSelected] = useState<ServiceType>();
  const versions = useLoad<{ items: VersionedPolicy[] }>(
    selected ? `${base}/policies/${selected}/versions` : null,
  );
  const [draft, setDraft] = useState('');
  const [syntaxError, setSyntaxError] = useState('');
  const [saved, setSaved] = useState('');
  const action = useAction();

  const open = (serviceType: ServiceType) => {
    setSelected(serviceType);
    setSaved('');
    setSyntaxError('');
    action.clear();
    setDraft(JSON.stringify(active.data?.[serviceType].policy ?? {}, null, 2));
  };

  const save = (event: FormEvent) => {
    event.preventDefault();
    if (!selected) return;
    let body: unknown;
    try {
      body = JSON.parse(draft);
    } catch (failure) {
      setSyntaxError(
        `Not valid JSON: ${failure instanceof Error ? failure.message : 'parse error'}`,
      );
      return;
    }
    setSyntaxError('');
    void action.run(async () => {
      const stored = await api.put<VersionedPolicy>(`${base}/policies/${selected}`, body);
      setSaved(
        `Version ${stored.version} of ${selected} stored: it applies to the next assessments.`,
      );
      setDraft(JSON.stringify(stored.policy, null, 2));
      active.reload();
      versions.reload();
    });
  };

  return (
    <>
      <PageTitle>Intelligence policies</PageTitle>
      <p>
        <Link to={`/admin/clients/${encodeURIComponent(clientId)}`}>
          Back to client {client.data?.client.name ?? clientId}
        </Link>
      </p>
      <p className="hint">
        One policy per service type; every change is stored as a new version and the newest applies.
        Version 0 is the built-in default.
      </p>
      <ErrorMessage error={client.error ?? active.error} />
      {active.loading && !active.data ? (
        <Loading />
      ) : (
        active.data && (
          <table>
            <caption>Policies in force</caption>
            <thead>
              <tr>
                <th scope="col">Service type</th>
                <th scope="col">Version</th>
                <th scope="col">Thresholds (challenge / review / block)</th>
                <th scope="col">Created by</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {SERVICE_TYPES.map((serviceType) => {
                const policy = active.data![serviceType];
                const t = policy.policy.thresholds;
                return (
                  <tr key={serviceType}>
                    <td>{serviceType}</td>
                    <td>{policy.version === 0 ? '0 (default)' : policy.version}</td>
                    <td>
                      {t.challenge} / {t.review} / {t.block}
                    </td>
                    <td className="mono">{policy.createdBy ?? '—'}</td>
                    <td>{formatDate(policy.createdAt)}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Open the ${serviceType} policy`}
                        onClick={() => open(serviceType)}
                      >
                        Open
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )
      )}
      {selected && (
        <>
          <section aria-labelledby="policy-editor">
            <h2 id="policy-editor">New version of the {selected} policy</h2>
            <form onSubmit={save}>
              <label>
                {`Policy of ${selected} (JSON)`}
                <textarea
                  className="mono json"
                  rows={18}
                  spellCheck={false}
                  value={draft}
                  onChange={(event) => setDraft(event.target.value)}
                />
              </label>
              <p className="hint">
                A field left out keeps the service type’s default; thresholds must satisfy challenge
                ≤ review ≤ block.
              </p>
              {syntaxError && (
                <p className="error" role="alert">
                  {syntaxError}
                </p>
              )}
              <ErrorMessage error={action.error} />
              {saved && <Status>{saved}</Status>}
              <button type="submit" disabled={action.busy}>
                Store as new version
              </button>
            </form>
          </section>
          <section aria-labelledby="policy-versions">
            <h2 id="policy-versions">Versions of the {selected} policy</h2>
            <ErrorMessage error={versions.error} />
            {versions.loading && !versions.data ? (
              <Loading />
            ) : (
              <table>
                <caption>{`${selected}: newest first`}</caption>
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Created by</th>
                    <th scope="col">Created</th>
                    <th scope="col">Policy</th>
                  </tr>
                </thead>
                <tbody>
                  {(versions.data?.items ?? []).map((version) => (
                    <tr key={version.version}>
                      <td>{version.version === 0 ? '0 (default)' : version.version}</td>
                      <td className="mono">{version.createdBy ?? '—'}</td>
                      <td>{formatDate(version.createdAt)}</td>
                      <td>
                        <details>
                          <summary>{`Policy of version ${version.version}`}</summary>
                          <pre className="mono json" tabIndex={0}>
                            {JSON.stringify(version.policy, null, 2)}
                          </pre>
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </>
  );
}
