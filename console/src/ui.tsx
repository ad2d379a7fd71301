import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, ApiFailure } from './api';

/** Loads a GET endpoint; `reload` fetches again (after a change). */
export function useLoad<T>(path: string | null): {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
} {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let cancelled = false;
    setLoading(true);
    api
      .get<T>(path)
      .then((result) => {
        if (!cancelled) {
          setData(result);
          setError(undefined);
        }
      })
      .catch((failure: unknown) => !cancelled && setError(failure))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, reload };
}

/** Runs an action, keeping its error and a busy flag for the button. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run: (work: () => Promise<void>) => Promise<void>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const message =
    error instanceof ApiFailure
      ? error.status === 403
        ? `Not allowed (403): ${error.message}`
        : `${error.message}${error.code && error.code !== 'ERROR' ? ` (${error.code})` : ''}`
      : error instanceof Error
        ? error.message
        : 'Something went wrong.';
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

export function Status({ children }: { children: ReactNode }) {
  return (
    <p className="status" role="status">
      {children}
    </p>
  );
}

export function Loading() {
  return <p aria-busy="true">Loading…</p>;
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? value
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/**
 * A secret shown once: read-only, selectable, with a copy button. It lives only in this
 * component's state; nothing stores it, so it is gone after a reload.
 */
export function SecretOnce({
  label,
  value,
  onDismiss,
  children,
}: {
  label: string;
  value: string;
  onDismiss: () => void;
  children?: ReactNode;
}) {
  const [copied, setCopied] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <section className="secret" aria-labelledby="secret-title">
      <h3 id="secret-title">{label}</h3>
      <p>Copy it now: it is shown only this once and cannot be read again.</p>
      <div className="secret-row">
        <label className="inline">
          <span className="visually-hidden">{label}</span>
          <input
            ref={input}
            readOnly
            value={value}
            aria-label={label}
            spellCheck={false}
            onFocus={(event) => event.currentTarget.select()}
          />
        </label>
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          Copy
        </button>
      </div>
      {copied && <Status>Copied to the clipboard.</Status>}
      {children}
      <button type="button" className="secondary" onClick={onDismiss}>
        I have stored it
      </button>
    </section>
  );
}

export function PageTitle({ children }: { children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${typeof children === 'string' ? children : 'Console'} — Mobile Identity Gateway`;
    heading.current?.focus();
  }, [children]);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** `datetime-local` value → ISO 8601 (or undefined when empty). */
export function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function json(value: unknown): string {
  return value === null || value === undefined ? '—' : JSON.stringify(value);
}
