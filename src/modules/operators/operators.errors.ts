import { ApiError, CommonCodes } from '../../common/errors/api-error.js';

export const OperatorsCodes = {
  alreadyExists: 'ALREADY_EXISTS',
} as const;

export const operatorNotFound = (): ApiError =>
  new ApiError(404, CommonCodes.notFound, 'No operator with this id exists.');

export const operatorExists = (): ApiError =>
  new ApiError(409, OperatorsCodes.alreadyExists, 'An operator with this id already exists.');

export const invalidOperatorSettings = (message: string): ApiError =>
  new ApiError(400, CommonCodes.validation, message);
