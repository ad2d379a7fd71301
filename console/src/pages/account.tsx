import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useSession } from '../session';
import { ErrorMessage, formatDate, PageTitle, Status, useAction } from '../ui';
import { TotpQr } from './sign-in';

export function AccountPage() {
  const { session, refresh } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [changed, setChanged] = useState(false);
  const password = useAction();
  const [enrolment, setEnrolment] = useState<{ secret: string; uri: string }>();
  const [code, setCode] = useState('');
  const totp = useAction();
  if (!session) return null;

  const changePassword = (event: FormEvent) => {
    event.preventDefault();
    void password.run(async () => {
      await api.post('/me/password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setChanged(true);
    });
  };

  const confirm = (event: FormEvent) => {
    event.preventDefault();
    void totp.run(async () => {
      await api.post('/me/totp/confirm', { code });
      setEnrolment(undefined);
      await refresh();
    });
  };

  return (
    <>
      <PageTitle>Your account</PageTitle>
      <dl className="facts">
        <dt>Email</dt>
        <dd>{session.user.email}</dd>
        <dt>Role</dt>
        <dd>{session.user.role}</dd>
        <dt>Second factor</dt>
        <dd>{session.user.totpEnabled ? 'Authenticator app' : 'None'}</dd>
        <dt>Session ends at the latest</dt>
        <dd>
          {formatDate(session.expiresAt)} (or after {Math.round(session.idleTimeoutSeconds / 60)}{' '}
          minutes without activity)
        </dd>
      </dl>

      {!session.user.totpEnabled && (
        <section aria-labelledby="totp-title">
          <h2 id="totp-title">Authenticator app</h2>
          {!enrolment ? (
            <button
              type="button"
              onClick={() => void totp.run(async () => setEnrolment(await api.post('/me/totp')))}
            >
              Set up an authenticator app
            </button>
          ) : (
            <form onSubmit={confirm}>
              <TotpQr uri={enrolment.uri} />
              <label>
                Secret
                <input readOnly value={enrolment.secret} className="mono" />
              </label>
              <label>
                Code shown by the app
                <input
                  inputMode="numeric"
                  pattern="[0-9]{6}"
                  maxLength={6}
                  required
                  value={code}
                  onChange={(event) => setCode(event.target.value.trim())}
                />
              </label>
              <button type="submit" disabled={totp.busy}>
                Confirm
              </button>
            </form>
          )}
          <ErrorMessage error={totp.error} />
        </section>
      )}

      <section aria-labelledby="password-title">
        <h2 id="password-title">Change password</h2>
        <form onSubmit={changePassword}>
          <label>
            Current password
            <input
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(event) => setCurrent(event.target.value)}
            />
          </label>
          <label>
            New password (at least 12 characters)
            <input
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              value={next}
              onChange={(event) => setNext(event.target.value)}
            />
          </label>
          <ErrorMessage error={password.error} />
          {changed && <Status>Password changed. Your other sessions were signed out.</Status>}
          <button type="submit" disabled={password.busy}>
            Change password
          </button>
        </form>
      </section>
    </>
  );
}
