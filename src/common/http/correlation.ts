import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CORRELATION_HEADER = 'x-correlator';

// CAMARA's x-correlator pattern.
const CORRELATOR_PATTERN = /^[a-zA-Z0-9-_:;./<>{}]{0,256}$/;

const assigned = new WeakMap<IncomingMessage, { id: string; rejected: boolean }>();

function resolve(raw: IncomingMessage): { id: string; rejected: boolean } {
  let entry = assigned.get(raw);
  if (!entry) {
    const header = raw.headers[CORRELATION_HEADER];
    const usable = typeof header === 'string' && header !== '' && CORRELATOR_PATTERN.test(header);
    entry = {
      id: usable ? header : randomUUID(),
      rejected: header !== undefined && !usable && header !== '',
    };
    assigned.set(raw, entry);
  }
  return entry;
}

/**
 * The request's correlation id: the caller's valid `x-correlator`, or a new UUID. Fastify and the
 * pino HTTP logger both ask for it, so it is computed once per raw request.
 */
export function correlationIdOf(raw: IncomingMessage): string {
  return resolve(raw).id;
}

/** True when the caller sent an `x-correlator` that breaks the pattern (answered with 400). */
export function hasInvalidCorrelator(raw: IncomingMessage): boolean {
  return resolve(raw).rejected;
}
