import { ApiError, CommonCodes } from '../../common/errors/api-error.js';

/** The two wire contracts this module answers; their error codes and statuses differ. */
export type SwapContract = 'camara' | 'identity_match';

/** Why a lookup produced no verdict. Adapters throw these; the service turns them into ApiErrors. */
export type SwapFailureReason =
  'identifier_not_found' | 'service_not_applicable' | 'unavailable' | 'timeout';

export class SwapLookupError extends Error {
  constructor(
    readonly reason: SwapFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'SwapLookupError';
  }
}

/** CAMARA SIM Swap / Device Swap codes (the official definitions in test/fixtures/camara/). */
const CamaraCodes = {
  identifierNotFound: 'IDENTIFIER_NOT_FOUND',
  serviceNotApplicable: 'SERVICE_NOT_APPLICABLE',
  missingIdentifier: 'MISSING_IDENTIFIER',
  outOfRange: 'OUT_OF_RANGE',
  unavailable: 'UNAVAILABLE',
  timeout: 'TIMEOUT',
  notFound: 'NOT_FOUND',
} as const;

/** Identity Match codes are ours (CM.com documents statuses, not codes); they are stable and listed in the README. */
export const IdentityMatchCodes = {
  numberNotFound: 'NUMBER_NOT_FOUND',
  unavailable: 'SERVICE_UNAVAILABLE',
} as const;

const MESSAGES: Record<SwapFailureReason, string> = {
  identifier_not_found: 'The phone number is not known to any operator this gateway can ask.',
  service_not_applicable:
    'The service is not applicable to this phone number: it has never been connected to a device.',
  unavailable: 'The operator could not answer; no verdict was given. Try again later.',
  timeout:
    'The operator did not answer within the deadline; no verdict was given. Try again later.',
};

/**
 * The error a caller of `contract` sees for a failed lookup. Identity Match knows no 422 or 504:
 * "no swap service for this number" is its 404, and a timeout its 503.
 */
export function swapLookupApiError(error: SwapLookupError, contract: SwapContract): ApiError {
  const message = MESSAGES[error.reason];
  if (contract === 'camara') {
    switch (error.reason) {
      case 'identifier_not_found':
        return new ApiError(404, CamaraCodes.identifierNotFound, message);
      case 'service_not_applicable':
        return new ApiError(422, CamaraCodes.serviceNotApplicable, message);
      case 'unavailable':
        return new ApiError(503, CamaraCodes.unavailable, message);
      case 'timeout':
        return new ApiError(504, CamaraCodes.timeout, message);
    }
  }
  switch (error.reason) {
    case 'identifier_not_found':
    case 'service_not_applicable':
      return new ApiError(404, IdentityMatchCodes.numberNotFound, MESSAGES.identifier_not_found);
    default:
      return new ApiError(503, IdentityMatchCodes.unavailable, message);
  }
}

export const missingIdentifierError = (): ApiError =>
  new ApiError(
    422,
    CamaraCodes.missingIdentifier,
    'The phone number is required: the access token does not identify a subscriber.',
  );

export function monitoredPeriodExceededError(monitoredPeriodDays: number): ApiError {
  const hours = monitoredPeriodDays * 24;
  return new ApiError(
    400,
    CamaraCodes.outOfRange,
    `maxAge must not exceed ${hours} hours: this operator keeps swap history for ${monitoredPeriodDays} days only.`,
  );
}

/** The sandbox admin API only stores fictitious numbers of sandbox operators, never real subscribers'. */
export const notASandboxNumberError = (): ApiError =>
  new ApiError(
    404,
    CamaraCodes.notFound,
    'The phone number does not belong to a sandbox operator.',
  );

/** A sandbox admin path whose phone number is not E.164 with a leading +. */
export const invalidSandboxPhoneNumberError = (): ApiError =>
  new ApiError(400, CommonCodes.validation, 'phoneNumber must be in E.164 format with a leading +');

/** A sandbox swap date that does not parse; the message names the field, never the value. */
export const invalidSandboxDateError = (field: string): ApiError =>
  new ApiError(400, CommonCodes.validation, `${field} is not a valid date`);
