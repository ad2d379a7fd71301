/** Raised when an outbound call outlives its deadline. */
export class DeadlineExceededError extends Error {
  constructor() {
    super('operator deadline exceeded');
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Runs `work` with one signal that aborts at the deadline (or when `parent` aborts), and rejects
 * with DeadlineExceededError then even if `work` ignores the signal: the caller's answer never
 * waits longer than `ms`.
 */
export async function withDeadline<T>(
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  parent?: AbortSignal,
): Promise<T> {
  const signal = parent
    ? AbortSignal.any([parent, AbortSignal.timeout(ms)])
    : AbortSignal.timeout(ms);
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(new DeadlineExceededError());
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(signal), expired]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
