import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ValidateIf, type ValidatorOptions } from 'class-validator';
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

const UNKNOWN_FIELD = 'The request has a field that the contract does not define.';

/** Deeper than any request the contracts define; deeper still would overflow class-transformer's recursion. */
export const MAX_INPUT_DEPTH = 32;

/**
 * Refuses, before class-transformer walks it, input no field can hold: nesting deeper than
 * MAX_INPUT_DEPTH, and NUL characters (in values or keys), which PostgreSQL cannot store in text.
 * Iterative, so a 2,000-level body costs a loop, not a stack overflow and its stack trace.
 */
export function refuseUnstorableInput(value: unknown): void {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'string' && value.includes('\u0000')) throw nulError();
    return;
  }
  const stack: [object, number][] = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [current, depth] = next;
    if (depth > MAX_INPUT_DEPTH)
      throw new ApiError(400, CommonCodes.malformedBody, 'The request is nested too deeply.');
    for (const [key, entry] of Object.entries(current)) {
      if (key.includes('\u0000') || (typeof entry === 'string' && entry.includes('\u0000')))
        throw nulError();
      if (entry !== null && typeof entry === 'object') stack.push([entry as object, depth + 1]);
    }
  }
}

function nulError(): ApiError {
  return new ApiError(
    400,
    CommonCodes.validation,
    'The request contains a NUL character, which no field accepts.',
  );
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
  const message = [
    ...new Set(
      failures.flatMap((failure) =>
        // An unknown field's name is the caller's text: it is never echoed.
        Object.entries(failure.constraints ?? {}).map(([rule, text]) =>
          rule === 'whitelistValidation' ? UNKNOWN_FIELD : text,
        ),
      ),
    ),
  ].join('; ');
  return new ApiError(
    400,
    specificCode ?? CommonCodes.validation,
    message || 'The request is invalid.',
  );
}

const ACCEPTS_UNKNOWN_FIELDS = Symbol('acceptsUnknownFields');

/**
 * A request body class whose contract allows fields it does not define (CAMARA: its request
 * schemas do not forbid additional properties). Unknown fields are dropped before the handler,
 * never refused. Every other body stays strict: an unknown field is a 400.
 */
export const AcceptsUnknownFields = (): ClassDecorator => (target) => {
  Reflect.defineMetadata(ACCEPTS_UNKNOWN_FIELDS, true, target);
};

function acceptsUnknownFields(entity: object): boolean {
  return Reflect.getMetadata(ACCEPTS_UNKNOWN_FIELDS, entity.constructor) === true;
}

/**
 * `@IsOptional()` that lets only an absent field through: `null` is validated like any value (and
 * refused by the field's type rules) instead of silently taking the default. For fields whose
 * schema is not nullable.
 */
export const OptionalNotNull = (): PropertyDecorator =>
  ValidateIf((_object, value) => value !== undefined);

/** The global pipe: class-validator with the two contract-level rules above and a refused `null` body. */
class GatewayValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Nest turns a null body into `{}`, which would pass as "every field absent".
    if (
      metadata.type === 'body' &&
      value === null &&
      metadata.metatype !== undefined &&
      this.toValidate(metadata)
    ) {
      throw new ApiError(400, CommonCodes.validation, 'The request body must be a JSON object.');
    }
    if (this.toValidate(metadata)) refuseUnstorableInput(value);
    return super.transform(value, metadata);
  }

  protected override validate(
    object: object,
    options?: ValidatorOptions,
  ): Promise<ValidationError[]> | ValidationError[] {
    return super.validate(
      object,
      acceptsUnknownFields(object) ? { ...options, forbidNonWhitelisted: false } : options,
    );
  }
}

export function createValidationPipe(): ValidationPipe {
  return new GatewayValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: validationError,
  });
}
