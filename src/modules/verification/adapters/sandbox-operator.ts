import { setTimeout as delay } from 'node:timers/promises';

/**
 * The sandbox operator's deterministic behaviour, keyed on the last four digits of the number, so
 * integrators can exercise every branch (documented in the README's sandbox table).
 */
const SANDBOX_NUMBER_SUFFIXES = {
  /** Enrichment identifies nobody: `sdk_no_he_result`, as on Wi-Fi. */
  noEnrichment: '0001',
  /** The operator is down: 503 OPERATOR_UNAVAILABLE for enrichment and verify. */
  unavailable: '0503',
  /** The operator answers only after twice the deadline: 503 OPERATOR_UNAVAILABLE at the deadline. */
  slow: '0504',
} as const;

export class SandboxOperatorUnavailableError extends Error {
  constructor() {
    super('sandbox operator unavailable');
    this.name = 'SandboxOperatorUnavailableError';
  }
}

export type SandboxOutcome = 'identified' | 'no_result';

/** One simulated operator exchange for `number`; the signal is the call's deadline. */
export async function sandboxOperatorLeg(
  number: string,
  deadlineMs: number,
  signal: AbortSignal,
): Promise<SandboxOutcome> {
  const suffix = number.slice(-4);
  if (suffix === SANDBOX_NUMBER_SUFFIXES.unavailable) throw new SandboxOperatorUnavailableError();
  if (suffix === SANDBOX_NUMBER_SUFFIXES.slow) {
    // Aborted by the deadline long before it ends, so no timer outlives the request.
    await delay(deadlineMs * 2, undefined, { signal });
  }
  return suffix === SANDBOX_NUMBER_SUFFIXES.noEnrichment ? 'no_result' : 'identified';
}
