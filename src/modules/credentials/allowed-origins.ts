import { ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';
import type { ClientEnvironment } from '../../common/auth/caller.js';
import { invalidAllowedOrigins } from './credentials.errors.js';

export const MAX_ALLOWED_ORIGINS = 20;
const MAX_ORIGIN_LENGTH = 200;

// Lower-case DNS labels (IDNs arrive in punycode, as browsers send them) or a bracketed IPv6.
const HOSTNAME =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/;

/**
 * True when `value` is exactly how a browser serialises a page's origin in the `Origin` header:
 * `http(s)://host[:port]`, lower case, default port omitted, no path, query, fragment, user
 * info, wildcard or trailing slash. The stored value is compared byte for byte with the header,
 * so anything a browser would never send is refused rather than normalised.
 */
function isBrowserOrigin(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ORIGIN_LENGTH)
    return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  return url.origin === value && HOSTNAME.test(url.hostname);
}

/**
 * The environment rule on top of the syntax: a LIVE client's pages are served over HTTPS; plain
 * HTTP is for SANDBOX clients (local development, test pages).
 */
function originFitsEnvironment(origin: string, environment: ClientEnvironment): boolean {
  return environment === 'SANDBOX' || origin.startsWith('https://');
}

@ValidatorConstraint({ name: 'isBrowserOrigin' })
export class IsBrowserOrigin implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isBrowserOrigin(value);
  }

  defaultMessage(): string {
    // Never the submitted value (errors do not echo input).
    return 'each allowedOrigins entry must be a browser origin such as https://bank.example or https://bank.example:8443: scheme, lower-case host and optional port, without path, query or trailing slash';
  }
}

/**
 * The service-level check of a whole list (the admin DTO checks the same syntax, but the CLI and
 * other callers reach the service directly): at most MAX_ALLOWED_ORIGINS distinct browser
 * origins, https only for LIVE clients. Returns the list to store.
 */
export function checkAllowedOrigins(
  origins: readonly string[],
  environment: ClientEnvironment,
): string[] {
  if (origins.length > MAX_ALLOWED_ORIGINS)
    throw invalidAllowedOrigins(`at most ${MAX_ALLOWED_ORIGINS} origins`);
  if (new Set(origins).size !== origins.length)
    throw invalidAllowedOrigins('each origin at most once');
  if (!origins.every(isBrowserOrigin))
    throw invalidAllowedOrigins(new IsBrowserOrigin().defaultMessage());
  if (!origins.every((origin) => originFitsEnvironment(origin, environment))) {
    throw invalidAllowedOrigins('a LIVE client allows https origins only');
  }
  return [...origins];
}
