import { useEffect, useRef, useState, type FormEvent } from 'react';
import QRCode from 'qrcode';
import { useNavigate, useSearchParams } from 'react-router';
import { api, type Session } from '../api';
import { homeOf } from '../home';
import { useSession } from '../session';
import { ErrorMessage, PageTitle, Status, useAction } from '../ui';

export function SignInPage() {
  const { signedIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const action = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const session = await api.post<Session>('/session', {
        email,
        password,
        ...(code ? { code } : {}),
      });
      signedIn(session);
      const next = params.get('next');
      // Only a path inside the console: never an address given by a link.
      void navigate(
        next && /^\/[a-z]/.test(next) && !next.startsWith('//') ? next : homeOf(session.user.role),
        { replace: true },
      );
    });
  };

  return (
    <main id="main" className="narrow">
      <PageTitle>Sign in</PageTitle>
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <label>
          Authentication code
          <input
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            value={code}
            onChange={(event) => setCode(event.target.value.trim())}
            aria-describedby="code-help"
          />
        </label>
        <p id="code-help" className="hint">
          Six digits from your authenticator app. Required for admins and auditors, and for anyone
          who set one up.
        </p>
        <ErrorMessage error={action.error} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p id="sign-in-help" className="hint">
        No account? An administrator invites you by email.
      </p>
    </main>
  );
}

/** Draws the otpauth URI as a QR code on a canvas (no data URL, no inline markup). */
export function TotpQr({ uri }: { uri: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current) void QRCode.toCanvas(canvas.current, uri, { width: 200, margin: 1 });
  }, [uri]);
  return <canvas ref={canvas} role="img" aria-label="QR code of the authenticator secret" />;
}

interface InvitationDetails {
  email: string;
  role: string;
  totpRequired: boolean;
  totp: { secret: string; uri: string };
}

export function InvitePage() {
  const navigate = useNavigate();
  // The token travels in the fragment, which browsers never send to a server.
  const token = window.location.hash.replace(/^#/, '');
  const [details, setDetails] = useState<InvitationDetails>();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const [withTotp, setWithTotp] = useState(false);
  const lookup = useAction();
  const accept = useAction();
  const [done, setDone] = useState(false);

  useEffect(() => {
    void lookup.run(async () => {
      const found = await api.post<InvitationDetails>('/invitations/lookup', { token });
      setDetails(found);
      setWithTotp(found.totpRequired);
    });
  }, [token]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void accept.run(async () => {
      if (password !== confirm) throw new Error('The two passwords differ.');
      await api.post('/invitations/accept', { token, password, ...(withTotp ? { code } : {}) });
      setDone(true);
    });
  };

  if (done) {
    return (
      <main id="main" className="narrow">
        <PageTitle>Account ready</PageTitle>
        <Status>
          Your password is set{withTotp ? ' and your authenticator is enrolled' : ''}.
        </Status>
        <button type="button" onClick={() => void navigate('/sign-in')}>
          Go to sign-in
        </button>
      </main>
    );
  }
  return (
    <main id="main" className="narrow">
      <PageTitle>Accept your invitation</PageTitle>
      <ErrorMessage error={lookup.error} />
      {details && (
        <form onSubmit={submit}>
          <p>
            Account <strong>{details.email}</strong>, role <strong>{details.role}</strong>.
          </p>
          <label>
            New password
            <input
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              maxLength={128}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              aria-describedby="password-help"
            />
          </label>
          <p id="password-help" className="hint">
            At least 12 characters; a passphrase of several words is best.
          </p>
          <label>
            Repeat the password
            <input
              type="password"
              autoComplete="new-password"
              required
              value={confirm}
              onChange={(event) => setConfirm(event.target.value)}
            />
          </label>
          {!details.totpRequired && (
            <label className="check">
              <input
                type="checkbox"
                checked={withTotp}
                onChange={(event) => setWithTotp(event.target.checked)}
              />{' '}
              Protect my account with an authenticator app (recommended)
            </label>
          )}
          {withTotp && (
            <fieldset>
              <legend>
                Authenticator app{details.totpRequired ? ' (required for your role)' : ''}
              </legend>
              <p>Scan the code with your authenticator app, or type the secret in it.</p>
              <TotpQr uri={details.totp.uri} />
              <label>
                Secret
                <input readOnly value={details.totp.secret} spellCheck={false} className="mono" />
              </label>
              <label>
                Code shown by the app
                <input
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="[0-9]{6}"
                  maxLength={6}
                  required
                  value={code}
                  onChange={(event) => setCode(event.target.value.trim())}
                />
              </label>
            </fieldset>
          )}
          <ErrorMessage error={accept.error} />
          <button type="submit" disabled={accept.busy}>
            Set password
          </button>
        </form>
      )}
    </main>
  );
}
