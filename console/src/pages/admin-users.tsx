import { useState, type FormEvent } from 'react';
import { api, type Client, type ConsoleUser, type Invitation, type Role } from '../api';
import { useSession } from '../session';
import {
  ErrorMessage,
  formatDate,
  Loading,
  PageTitle,
  SecretOnce,
  useAction,
  useLoad,
} from '../ui';

export function UsersPage() {
  const { session } = useSession();
  const users = useLoad<{ items: ConsoleUser[] }>('/admin/users');
  const clients = useLoad<{ items: Client[] }>('/admin/clients');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('client');
  const [clientIds, setClientIds] = useState<string[]>([]);
  const [invitation, setInvitation] = useState<Invitation>();
  const action = useAction();

  const invite = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      setInvitation(
        await api.post<Invitation>('/admin/users', {
          email,
          role,
          ...(role === 'client' ? { clientIds } : {}),
        }),
      );
      setEmail('');
      setClientIds([]);
      users.reload();
    });
  };
  const act = (user: ConsoleUser, verb: 'disable' | 'enable' | 'unlock' | 'reinvite') =>
    void action.run(async () => {
      if (verb === 'reinvite') {
        if (
          !window.confirm(
            `Reset ${user.email}? Their password, authenticator and sessions end; they get a new invitation link.`,
          )
        )
          return;
        setInvitation(await api.post<Invitation>(`/admin/users/${user.id}/reinvite`));
      } else {
        await api.post(`/admin/users/${user.id}/${verb}`);
      }
      users.reload();
    });

  return (
    <>
      <PageTitle>Console users</PageTitle>
      {invitation && (
        <SecretOnce
          label={`Invitation link for ${invitation.user.email}`}
          value={`${window.location.origin}${invitation.path}`}
          onDismiss={() => setInvitation(undefined)}
        >
          <p>
            Send it to the person over a trusted channel. It works once, until{' '}
            {formatDate(invitation.expiresAt)}.
          </p>
        </SecretOnce>
      )}
      <ErrorMessage error={users.error ?? action.error} />
      {users.loading && !users.data ? (
        <Loading />
      ) : (
        <table>
          <caption>People who can sign in to the console</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Clients</th>
              <th scope="col">Second factor</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(users.data?.items ?? []).map((user) => (
              <tr key={user.id}>
                <td>{user.email}</td>
                <td>{user.role}</td>
                <td>
                  {user.status}
                  {user.locked ? ` · locked until ${formatDate(user.lockedUntil)}` : ''}
                </td>
                <td className="mono small">
                  {user.clients
                    .map((client) => `${client.clientId} (${client.environment})`)
                    .join(', ') || '—'}
                </td>
                <td>{user.totpEnabled ? 'yes' : 'no'}</td>
                <td>{formatDate(user.lastSignInAt)}</td>
                <td>
                  {user.id !== session?.user.id && (
                    <>
                      {user.locked && (
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => act(user, 'unlock')}
                        >
                          Unlock
                        </button>
                      )}{' '}
                      {user.status === 'disabled' ? (
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => act(user, 'enable')}
                        >
                          Enable
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="danger"
                          onClick={() => act(user, 'disable')}
                          aria-label={`Disable ${user.email}`}
                        >
                          Disable
                        </button>
                      )}{' '}
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => act(user, 'reinvite')}
                        aria-label={`Reset ${user.email}`}
                      >
                        Reset
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section aria-labelledby="invite-title">
        <h2 id="invite-title">Invite someone</h2>
        <form onSubmit={invite}>
          <label>
            Email
            <input
              type="email"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          </label>
          <label>
            Role
            <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
              <option value="client">Client user</option>
              <option value="auditor">Auditor</option>
              <option value="admin">Admin</option>
            </select>
          </label>
          {role === 'client' && (
            <fieldset>
              <legend>Client (one, or one sandbox and one live client of the same customer)</legend>
              {(clients.data?.items ?? []).map((client) => (
                <label key={client.clientId} className="check">
                  <input
                    type="checkbox"
                    checked={clientIds.includes(client.clientId)}
                    onChange={(event) =>
                      setClientIds(
                        event.target.checked
                          ? [...clientIds, client.clientId]
                          : clientIds.filter((id) => id !== client.clientId),
                      )
                    }
                  />{' '}
                  {client.name} ({client.environment}, {client.clientId})
                </label>
              ))}
            </fieldset>
          )}
          <button type="submit" disabled={action.busy}>
            Invite
          </button>
        </form>
      </section>
    </>
  );
}
