/** Raised when an operator call outlives its deadline. */
export class DeadlineExceededError extends Error {
  constructor() {
    super('operator deadline exceeded');
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Runs `work` with an AbortSignal that fires at the deadline, and rejects at the deadline even if
 * `work` ignores the signal: the caller's answer never waits longer than `ms`.
 */
export async function withDeadline<T>(
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new DeadlineExceededError());
      reject(new DeadlineExceededError());
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
