import { applyDecorators, type Type } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import {
  ApiExtraModels,
  ApiProperty,
  ApiResponse,
  ApiSchema,
  DECORATORS,
  getSchemaPath,
} from '@nestjs/swagger';
import type { ContractCodes } from '../errors/api-error.js';
import type { Page } from '../http/pagination.js';

/** A code as the route's contract spells it, or one spelled per contract (`CommonCodes.notFound`). */
export type DocumentedCode = string | ContractCodes;
export type DocumentedErrors = Partial<Record<number, DocumentedCode[]>>;

/** Read and removed by `finishDocument`, which renders each status in the route's contract envelope. */
export const ERRORS_EXTENSION = 'x-gateway-errors';

export const SchemaNames = {
  authmatechEnvelope: 'AuthmatechEnvelope',
  authmatechMessage: 'AuthmatechMessage',
  authmatechErrorEnvelope: 'AuthmatechErrorEnvelope',
  camaraError: 'ErrorInfo',
  identityMatchError: 'IdentityMatchError',
  xCorrelator: 'XCorrelator',
  phoneNumber: 'PhoneNumber',
} as const;

/**
 * The errors this route answers beyond those every route of its kind answers. The document adds
 * those itself from the route's shape: 400 (schema, x-correlator), 401 (any credential), 403 (admin
 * role, product), 413/415 (a body), 429 (client credentials), 500, and 503 (audit write failed).
 */
export const ApiErrors = (errors: DocumentedErrors): MethodDecorator & ClassDecorator =>
  ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    // Several decorators may add errors to one route (the route's own, `@BrowserFacing()`'s…):
    // they merge, where a plain ApiExtension would keep only one of them.
    const handlers: object[] = descriptor
      ? [descriptor.value as object]
      : Object.getOwnPropertyNames((target as { prototype: object }).prototype)
          .map(
            (name) =>
              Object.getOwnPropertyDescriptor((target as { prototype: object }).prototype, name)
                ?.value as unknown,
          )
          .filter(
            (value): value is object =>
              typeof value === 'function' && Reflect.hasMetadata(METHOD_METADATA, value),
          );
    for (const handler of handlers) {
      const extensions = (Reflect.getMetadata(DECORATORS.API_EXTENSION, handler) ?? {}) as Record<
        string,
        unknown
      >;
      const merged: DocumentedErrors = {
        ...(extensions[ERRORS_EXTENSION] as DocumentedErrors | undefined),
      };
      for (const [status, codes] of Object.entries(errors))
        merged[Number(status)] = [...(merged[Number(status)] ?? []), ...(codes ?? [])];
      Reflect.defineMetadata(
        DECORATORS.API_EXTENSION,
        { ...extensions, [ERRORS_EXTENSION]: merged },
        handler,
      );
    }
    return descriptor ?? target;
  }) as MethodDecorator & ClassDecorator;

export interface AuthmatechOkOptions {
  description: string;
  /** WARNING codes a 200 may carry (negative verdicts, no enrichment result). */
  warnings?: readonly string[];
}

/** A 200 in the Authmatech envelope `{success, messages, data}` whose `data` is a `data`. */
export function ApiAuthmatechOk(
  data: Type<unknown>,
  options: AuthmatechOkOptions,
): MethodDecorator & ClassDecorator {
  const narrowing: Record<string, unknown> = {
    type: 'object',
    required: ['data'],
    properties: {
      data: { $ref: getSchemaPath(data) },
      ...(options.warnings
        ? {
            messages: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  code: { type: 'string', nullable: true, enum: [null, ...options.warnings] },
                },
              },
            },
          }
        : {}),
    },
  };
  const warnings = options.warnings
    ? ` A WARNING message (still 200) carries one of: ${options.warnings.join(', ')}.`
    : '';
  return applyDecorators(
    ApiExtraModels(data),
    ApiResponse({
      status: 200,
      description: `${options.description}${warnings}`,
      schema: {
        allOf: [{ $ref: `#/components/schemas/${SchemaNames.authmatechEnvelope}` }, narrowing],
      },
    }),
  );
}

const NEXT_CURSOR_DESCRIPTION =
  'Opaque cursor of the next page: pass it back as `cursor`. Null on the last page.';

/**
 * The one shape of every list: `{items, nextCursor}`, asked for with `limit` and `cursor`. A
 * named schema per item type (`ClientPage`), so generated clients get readable types.
 */
export function PageOf<T>(item: Type<T>, name: string): Type<Page<T>> {
  @ApiSchema({ name, description: `A page of ${item.name.replace(/Dto$/, '')} items.` })
  class PageDto {
    @ApiProperty({ type: [item] })
    items!: T[];

    @ApiProperty({ type: String, nullable: true, description: NEXT_CURSOR_DESCRIPTION })
    nextCursor!: string | null;
  }
  return PageDto;
}
