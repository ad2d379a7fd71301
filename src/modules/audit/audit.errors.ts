import { ApiError, CommonCodes, type Contract } from '../../common/errors/api-error.js';

/** Failures the audit API answers with; messages never echo submitted values. */
export const AuditErrors = {
  eventNotFound: (): ApiError =>
    new ApiError(404, CommonCodes.notFound, 'No audit event has this id.'),
  invalidCursor: (): ApiError =>
    new ApiError(400, CommonCodes.validation, 'The cursor is not one this API returned.'),
  invalidRange: (): ApiError =>
    new ApiError(400, CommonCodes.validation, '"from" must be before "to".'),
  /** A JWT whose single use another request committed first: the one 401 of its contract. */
  jwtReplayed: (contract: Contract): ApiError =>
    new ApiError(
      401,
      CommonCodes.unauthenticated,
      contract === 'camara' || contract === 'admin'
        ? 'Request not authenticated due to missing, invalid, or expired credentials.'
        : 'Unauthorized',
    ),
  unavailable: (): ApiError =>
    new ApiError(503, CommonCodes.unavailable, 'The service is temporarily unavailable.'),
};
