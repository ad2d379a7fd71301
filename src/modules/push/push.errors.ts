import { ApiError } from '../../common/errors/api-error.js';

/** CAMARA SIM Swap Subscriptions error codes (the gateway's device-swap extension uses the same). */
export const PushCodes = {
  invalidArgument: 'INVALID_ARGUMENT',
  invalidProtocol: 'INVALID_PROTOCOL',
  invalidCredential: 'INVALID_CREDENTIAL',
  invalidToken: 'INVALID_TOKEN',
  invalidSink: 'INVALID_SINK',
  missingIdentifier: 'MISSING_IDENTIFIER',
  identifierNotFound: 'IDENTIFIER_NOT_FOUND',
  serviceNotApplicable: 'SERVICE_NOT_APPLICABLE',
  alreadyExists: 'ALREADY_EXISTS',
  notFound: 'NOT_FOUND',
  notReplayable: 'NOT_REPLAYABLE',
  tooManyRequests: 'TOO_MANY_REQUESTS',
} as const;

export const PushErrors = {
  invalidSink: (reason: string): ApiError =>
    new ApiError(400, PushCodes.invalidSink, `The sink is not acceptable: ${reason}.`),
  invalidCredential: (message: string): ApiError =>
    new ApiError(400, PushCodes.invalidCredential, message),
  invalidArgument: (message: string): ApiError =>
    new ApiError(400, PushCodes.invalidArgument, message),
  missingIdentifier: (): ApiError =>
    new ApiError(
      422,
      PushCodes.missingIdentifier,
      'The phone number is required: the access token does not identify a subscriber.',
    ),
  identifierNotFound: (): ApiError =>
    new ApiError(
      404,
      PushCodes.identifierNotFound,
      'The phone number is not known to any operator this gateway can ask.',
    ),
  serviceNotApplicable: (): ApiError =>
    new ApiError(
      422,
      PushCodes.serviceNotApplicable,
      'The operator of this phone number offers no swap notifications.',
    ),
  alreadyExists: (): ApiError =>
    new ApiError(
      409,
      PushCodes.alreadyExists,
      'A live subscription for this phone number, event type and sink already exists.',
    ),
  notFound: (): ApiError =>
    new ApiError(404, PushCodes.notFound, 'The specified resource is not found.'),
  deliveryNotReplayable: (): ApiError =>
    new ApiError(
      409,
      PushCodes.notReplayable,
      'Only a dead or cancelled delivery can be replayed.',
    ),
} as const;
