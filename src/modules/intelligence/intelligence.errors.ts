import { ApiError } from '../../common/errors/api-error.js';

/** Stable codes of the intelligence routes (Authmatech envelope; admin routes use the admin one). */
export const IntelligenceCodes = {
  insufficientBalance: 'INSUFFICIENT_BALANCE',
  invalidPolicy: 'INVALID_POLICY',
  clientNotFound: 'NOT_FOUND',
  invalidRange: 'INVALID_RANGE',
} as const;

/** The same answer a verify gives: a LIVE assessment costs one credit, taken with its audit event. */
export const insufficientBalance = (): ApiError =>
  new ApiError(
    400,
    IntelligenceCodes.insufficientBalance,
    'The client has no credits left, or its balance has expired.',
  );

export const invalidPolicy = (reason: string): ApiError =>
  new ApiError(400, IntelligenceCodes.invalidPolicy, `The policy is invalid: ${reason}.`);

export const clientNotFound = (): ApiError =>
  new ApiError(404, IntelligenceCodes.clientNotFound, 'No client with this id exists.');

export const invalidRange = (): ApiError =>
  new ApiError(
    400,
    IntelligenceCodes.invalidRange,
    '`from` must be before `to`, and the window at most 31 days.',
  );
