import { ApiError, CommonCodes } from '../../common/errors/api-error.js';

/** Failures the audit API answers with; messages never echo submitted values. */
export const AuditErrors = {
  eventNotFound: (): ApiError => new ApiError(404, CommonCodes.notFound, 'No audit event has this id.'),
  invalidCursor: (): ApiError => new ApiError(400, CommonCodes.validation, 'The cursor is not one this API returned.'),
  invalidRange: (): ApiError => new ApiError(400, CommonCodes.validation, '"from" must be before "to".'),
  unavailable: (): ApiError =>
    new ApiError(503, CommonCodes.unavailable, 'The service is temporarily unavailable.'),
};
