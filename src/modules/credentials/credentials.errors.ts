import { ApiError, CommonCodes, type Contract } from '../../common/errors/api-error.js';

/** Codes of the credential and admin-bootstrap failures that are not common to every module. */
export const CredentialsCodes = {
  conflict: 'CONFLICT',
  originNotAllowed: 'ORIGIN_NOT_ALLOWED',
  bootstrapDisabled: 'BOOTSTRAP_DISABLED',
  adminExists: 'ADMIN_EXISTS',
} as const;

/**
 * The one answer to every authentication failure, whatever was wrong (unknown client, wrong key,
 * key of another client, revoked, expired, suspended, malformed or duplicated header): the same
 * status, code and text for the contract, so a caller learns nothing about which part failed.
 */
export function unauthenticated(contract: Contract = 'authmatech'): ApiError {
  // CAMARA's own wording for its 401; Authmatech and Identity Match say "Unauthorized".
  const message =
    contract === 'camara' || contract === 'admin' ? CAMARA_UNAUTHENTICATED : 'Unauthorized';
  return new ApiError(401, CommonCodes.unauthenticated, message);
}

const CAMARA_UNAUTHENTICATED =
  'Request not authenticated due to missing, invalid, or expired credentials.';

/** Authenticated, but the role does not allow the operation (an auditor managing clients). */
export function permissionDenied(): ApiError {
  return new ApiError(
    403,
    CommonCodes.forbidden,
    'The credential is not allowed to perform this operation.',
  );
}

/**
 * A signed-in console user calling the admin API with their session: known, but the session is
 * not a credential of that API (it takes admin keys; the console's pages use /console/api).
 */
export function consoleSessionNotAccepted(): ApiError {
  return new ApiError(
    403,
    CommonCodes.forbidden,
    'A console session does not authorize the admin API: it takes an admin API key (Authorization: Bearer).',
  );
}

export function tooManyRequests(
  retryAfterSeconds: number,
  headers: Record<string, string> = {},
): ApiError {
  return new ApiError(429, CommonCodes.tooManyRequests, 'Too many requests.', {
    ...headers,
    'retry-after': String(retryAfterSeconds),
  });
}

export function clientNotFound(): ApiError {
  return new ApiError(404, CommonCodes.notFound, 'The client does not exist.');
}

export function credentialNotFound(): ApiError {
  return new ApiError(404, CommonCodes.notFound, 'The credential does not exist.');
}

export function credentialNotActive(): ApiError {
  return new ApiError(409, CredentialsCodes.conflict, 'The credential is no longer active.');
}

export function unsupportedCredentialKind(): ApiError {
  return new ApiError(
    400,
    CommonCodes.validation,
    'This kind of credential cannot be issued or rotated here.',
  );
}

/** An allowedOrigins list that breaks a rule; the message names the rule, never the value. */
export function invalidAllowedOrigins(rule: string): ApiError {
  return new ApiError(400, CommonCodes.validation, `allowedOrigins: ${rule}`);
}

/**
 * A browser page whose origin the client does not allow (CORS). Sent without CORS headers, so the
 * page itself cannot read it; the audit trail and the gateway's logs can.
 */
export function originNotAllowed(): ApiError {
  return new ApiError(
    403,
    CredentialsCodes.originNotAllowed,
    'This origin may not call this endpoint for this client.',
  );
}

export function bootstrapDisabled(): ApiError {
  return new ApiError(
    403,
    CredentialsCodes.bootstrapDisabled,
    'Bootstrap is not configured: set ADMIN_BOOTSTRAP_SECRET, or create an admin key with `npm run cli -- admin-key:create --role admin`.',
  );
}

export function adminExists(): ApiError {
  return new ApiError(
    409,
    CredentialsCodes.adminExists,
    'An admin key exists already, so the bootstrap secret is spent: create further keys with POST /admin/v1/admin-keys.',
  );
}
