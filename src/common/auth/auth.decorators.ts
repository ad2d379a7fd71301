import {
  applyDecorators,
  createParamDecorator,
  SetMetadata,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from './public.decorator.js';
import type {
  AuthenticatedAdmin,
  AuthenticatedClient,
  AuthenticatedConsoleUser,
  Caller,
  ClientProduct,
  ConsoleRole,
} from './caller.js';

export const AUTH_RULE = 'auth:rule';
export const REQUIRED_PRODUCT = 'auth:product';

export type AdminRole = 'admin' | 'auditor';

/** How a route authenticates its caller; read by the one global guard (CredentialsModule). */
export type AuthRule =
  | { kind: 'api_key' }
  | { kind: 'sdk_token' }
  | { kind: 'jwt' }
  | { kind: 'admin'; role: AdminRole }
  | { kind: 'console'; roles: ConsoleRole[] };

/**
 * OpenAPI security scheme names (declared in `common/openapi/openapi-document.ts`). A requirement
 * object with two schemes means both headers are required together.
 */
export const SecuritySchemes = {
  apiKey: 'apiKey',
  sdkToken: 'sdkToken',
  clientId: 'clientId',
  clientJwt: 'clientJwt',
  adminKey: 'adminKey',
  operatorSinkToken: 'operatorSinkToken',
} as const;

/** `X-API-KEY` + `X-CLIENT-ID`: a client's backend (Authmatech contract). */
export const ApiKeyAuth = (): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(AUTH_RULE, { kind: 'api_key' } satisfies AuthRule),
    ApiSecurity({ [SecuritySchemes.apiKey]: [], [SecuritySchemes.clientId]: [] }),
  );

/** `X-SDK-TOKEN` + `X-CLIENT-ID`: a device, with a short-lived token minted by its backend. */
export const SdkTokenAuth = (): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(AUTH_RULE, { kind: 'sdk_token' } satisfies AuthRule),
    ApiSecurity({ [SecuritySchemes.sdkToken]: [], [SecuritySchemes.clientId]: [] }),
  );

/** `Authorization: Bearer <HS256 JWT with kid>` (Identity Match and CAMARA contracts). */
export const JwtAuth = (): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(AUTH_RULE, { kind: 'jwt' } satisfies AuthRule),
    ApiSecurity(SecuritySchemes.clientJwt),
  );

/** `Authorization: Bearer <admin key>`; `admin` may do everything an `auditor` may. */
export const AdminAuth = (role: AdminRole): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(AUTH_RULE, { kind: 'admin', role } satisfies AuthRule),
    ApiSecurity(SecuritySchemes.adminKey),
    // The document states the role (an auditor key on an admin route is 403).
    ApiExtension('x-required-role', role),
  );

/**
 * The console's session cookie, plus the session's CSRF token (`X-CSRF-Token`) on every
 * state-changing method; the signed-in user's role must be one of `roles`.
 */
export const ConsoleAuth = (...roles: ConsoleRole[]): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(AUTH_RULE, { kind: 'console', roles } satisfies AuthRule),
    ApiSecurity('consoleSession'),
  );

/**
 * `Authorization: Bearer <token>` from an operator: the sinkCredential the gateway gave it for one
 * upstream subscription. The guard lets it through (it is no client or admin credential); the
 * handler checks it against that subscription's token, which only it knows.
 */
export const OperatorSinkTokenAuth = (): ClassDecorator & MethodDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiSecurity(SecuritySchemes.operatorSinkToken));

/** The product a client must have enabled to call the route. */
export const RequireProduct = (product: ClientProduct): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_PRODUCT, product),
    ApiExtension('x-required-product', product),
  );

/** The caller the guard authenticated, from the request's context. */
export function callerOf(request: FastifyRequest): Caller | undefined {
  return request.context?.caller;
}

/** The authenticated client. Throws when the guard did not authenticate one: a wiring bug, never a caller's fault. */
export const CurrentClient = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthenticatedClient => {
    const caller = callerOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (caller?.kind !== 'client')
      throw new Error('CurrentClient used on a route without client authentication');
    return caller;
  },
);

export const CurrentAdmin = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthenticatedAdmin => {
    const caller = callerOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (caller?.kind !== 'admin')
      throw new Error('CurrentAdmin used on a route without admin authentication');
    return caller;
  },
);

export const CurrentConsoleUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthenticatedConsoleUser => {
    const caller = callerOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (caller?.kind !== 'console_user')
      throw new Error('CurrentConsoleUser used on a route without console authentication');
    return caller;
  },
);
