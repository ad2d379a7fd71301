import { ApiError } from '../../common/errors/api-error.js';

/** CAMARA SIM Swap Subscriptions error codes (the gateway's device-swap extension uses the same). */
export const PushErrors = {
  invalidSink: (reason: string): ApiError => new ApiError(400, 'INVALID_SINK', `The sink is not acceptable: ${reason}.`),
  invalidCredential: (message: string): ApiError => new ApiError(400, 'INVALID_CREDENTIAL', message),
  invalidArgument: (message: string): ApiError => new ApiError(400, 'INVALID_ARGUMENT', message),
  missingIdentifier: (): ApiError =>
    new ApiError(422, 'MISSING_IDENTIFIER', 'The phone number is required: the access token does not identify a subscriber.'),
  identifierNotFound: (): ApiError =>
    new ApiError(404, 'IDENTIFIER_NOT_FOUND', 'The phone number is not known to any operator this gateway can ask.'),
  serviceNotApplicable: (): ApiError =>
    new ApiError(422, 'SERVICE_NOT_APPLICABLE', 'The operator of this phone number offers no swap notifications.'),
  alreadyExists: (): ApiError =>
    new ApiError(409, 'ALREADY_EXISTS', 'A live subscription for this phone number, event type and sink already exists.'),
  notFound: (): ApiError => new ApiError(404, 'NOT_FOUND', 'The specified resource is not found.'),
  deliveryNotReplayable: (): ApiError =>
    new ApiError(409, 'NOT_REPLAYABLE', 'Only a dead or cancelled delivery can be replayed.'),
} as const;
