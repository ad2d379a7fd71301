import { ApiError } from '../../common/errors/api-error.js';
import { IdempotencyCodes } from '../../common/http/idempotency.js';

export function invalidIdempotencyKey(): ApiError {
  return new ApiError(
    400,
    IdempotencyCodes.invalid,
    'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
  );
}

/** The key was used with another request: never replayed, never run. */
export function idempotencyKeyReused(status: 409 | 422): ApiError {
  return new ApiError(
    status,
    IdempotencyCodes.mismatch,
    'This Idempotency-Key was already used with a different request.',
  );
}

/** The first request with the key is still running elsewhere: retry after it ends. */
export function idempotencyKeyInUse(): ApiError {
  return new ApiError(
    409,
    IdempotencyCodes.inFlight,
    'A request with this Idempotency-Key is still in progress; retry later.',
  );
}
