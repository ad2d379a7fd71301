import type { Contract } from '../errors/api-error.js';

const CAMARA_PREFIXES = [
  '/sim-swap/',
  '/device-swap/',
  '/number-verification/',
  '/sim-swap-subscriptions/',
  '/device-swap-subscriptions/',
];

/** The public and admin APIs and the console's API; health checks, documentation and the console's pages are not audited. */
const AUDITED_PREFIXES = [
  '/v1/',
  '/mobile-identity/',
  ...CAMARA_PREFIXES,
  '/admin/',
  '/console/api/',
];

function under(path: string, prefix: string): boolean {
  return path.startsWith(prefix) || `${path}/` === prefix;
}

/**
 * Which wire contract a path belongs to, deciding the envelope of its errors. Takes a route
 * pattern, or a path normalised by `routedPath`: never a raw request target.
 */
export function contractOfPath(path: string): Contract {
  if (path.startsWith('/v1/')) return 'authmatech';
  if (path.startsWith('/mobile-identity/')) return 'identity_match';
  if (CAMARA_PREFIXES.some((prefix) => under(path, prefix))) return 'camara';
  return 'admin';
}

/** Whether requests to this path (a route pattern, or a `routedPath`) leave an audit event. */
export function isAuditedPath(path: string): boolean {
  return AUDITED_PREFIXES.some((prefix) => under(path, prefix));
}

/**
 * The path a request target names, as the router reads it: the path of an absolute-form target
 * (`http://host/path`), percent-decoded, duplicate slashes merged, without the query. Used only
 * for requests that matched no route; matched ones carry their route's facts.
 */
export function routedPath(target: string): string {
  let path = target.split('?', 1)[0].split('#', 1)[0];
  if (!path.startsWith('/')) {
    try {
      path = new URL(path).pathname;
    } catch {
      path = '/';
    }
  }
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape: keep the raw form, which still starts with the same prefix.
  }
  return path.replace(/\/{2,}/g, '/');
}
