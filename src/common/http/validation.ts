import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiError, CommonCodes } from '../errors/api-error.js';

/** A DTO may name the code its field's failures produce: `@IsX({ context: { code: 'INVALID_MOBILE_NUMBER' } })`. */
interface CodeContext {
  code?: string;
}

function flatten(errors: ValidationError[], parent = ''): ValidationError[] {
  return errors.flatMap((error) => {
    const property = parent ? `${parent}.${error.property}` : error.property;
    const self = error.constraints ? [{ ...error, property }] : [];
    return [...self, ...flatten(error.children ?? [], property)];
  });
}

/**
 * Validation failures become one 400 with a stable code. The message lists the failing fields and
 * rules only: class-validator's texts never include the submitted value, and we never add it.
 */
export function validationError(errors: ValidationError[]): ApiError {
  const failures = flatten(errors);
  const contexts = failures.flatMap((failure) =>
    Object.values((failure.contexts ?? {}) as Record<string, CodeContext>),
  );
  const specificCode = contexts.find((context) => context.code)?.code;
  const message = failures
    .map((failure) => Object.values(failure.constraints ?? {}).join(', '))
    .join('; ');
  return new ApiError(400, specificCode ?? CommonCodes.validation, message || 'The request is invalid.');
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: validationError,
  });
}
