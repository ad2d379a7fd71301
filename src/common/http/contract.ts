import type { Contract } from '../errors/api-error.js';

const CAMARA_PREFIXES = ['/sim-swap/', '/device-swap/', '/number-verification/'];

/** Which wire contract a path belongs to, deciding the envelope of its errors. */
export function contractOf(url: string): Contract {
  const path = url.split('?', 1)[0];
  if (path.startsWith('/v1/')) return 'authmatech';
  if (path.startsWith('/mobile-identity/')) return 'identity_match';
  if (CAMARA_PREFIXES.some((prefix) => path.startsWith(prefix) || `${path}/` === prefix)) {
    return 'camara';
  }
  return 'admin';
}
