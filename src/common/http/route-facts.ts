import { Injectable, RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { AUDIT_ACTION, OWN_UNIT_OF_WORK, ROUTE_DEADLINE_MS } from './audit-facts.js';
import { contractOfPath, isAuditedPath, routedPath } from './contract.js';
import type { RouteFacts } from './request-context.js';

function joinPath(...parts: string[]): string {
  const joined = parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/');
  return `/${joined}`;
}

interface HandlerFacts {
  action: string | undefined;
  ownUnitOfWork: boolean;
  httpCode: number | undefined;
  deadlineMs: number | undefined;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A controller method and the routes (verb and full path) it serves. */
export interface HandlerRoutes {
  controller: Type;
  handler: (...args: unknown[]) => unknown;
  routes: { verb: string; path: string }[];
}

/** The handlers of `controller` with their routes, from the controller's and its methods' metadata. */
export function handlerRoutesOf(controller: Type): HandlerRoutes[] {
  const controllerPaths = [
    (Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined) ?? '/',
  ].flat();
  const found: HandlerRoutes[] = [];
  // Handlers may be inherited (controllers built from a shared base class).
  const methods = new Map<string, unknown>();
  for (
    let proto = controller.prototype as object | null;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      // The most derived definition wins; getters are not handlers (and are not called here).
      if (name !== 'constructor' && !methods.has(name))
        methods.set(name, Object.getOwnPropertyDescriptor(proto, name)?.value);
    }
  }
  for (const handler of methods.values()) {
    if (typeof handler !== 'function') continue;
    const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
    const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as
      RequestMethod | undefined;
    if (methodPath === undefined || requestMethod === undefined) continue;
    const verbs =
      requestMethod === RequestMethod.ALL
        ? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
        : [RequestMethod[requestMethod]];
    const routes = controllerPaths.flatMap((controllerPath) =>
      [methodPath]
        .flat()
        .flatMap((path) => verbs.map((verb) => ({ verb, path: joinPath(controllerPath, path) }))),
    );
    found.push({ controller, handler: handler as (...args: unknown[]) => unknown, routes });
  }
  return found;
}

/**
 * Whether a route runs inside a request transaction (`RequestTransactionInterceptor`): audited,
 * state-changing, and not committing its own unit of work.
 */
export function needsRequestTransaction(
  verb: string,
  path: string,
  ownUnitOfWork: boolean,
): boolean {
  return isAuditedPath(path) && STATE_CHANGING.has(verb.toUpperCase()) && !ownUnitOfWork;
}

/**
 * The facts of every route, computed once when Fastify registers it (`onRoute`): its contract,
 * whether it is audited, and its `@AuditAction` (read from the controllers' metadata). Requests
 * then carry their route's facts; nothing is derived from the raw request target, which may be
 * absolute-form, percent-encoded or have doubled slashes.
 */
@Injectable()
export class RouteFactsRegistry {
  private handlers: Map<string, HandlerFacts> | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  forRoute(method: string, pattern: string): RouteFacts {
    this.handlers ??= this.collectHandlers();
    const verb = method.toUpperCase();
    const handler = this.handlers.get(`${verb} ${joinPath(pattern)}`);
    const audited = isAuditedPath(pattern);
    return {
      contract: contractOfPath(pattern),
      audited,
      action: handler?.action,
      pattern,
      unitOfWork:
        !audited || !STATE_CHANGING.has(verb)
          ? 'none'
          : needsRequestTransaction(verb, pattern, handler?.ownUnitOfWork ?? false)
            ? 'transaction'
            : 'own',
      successStatus: handler?.httpCode ?? (verb === 'POST' ? 201 : 200),
      deadlineMs: handler?.deadlineMs,
    };
  }

  /** A request no route matched (404/405), or one Fastify refused before routing. */
  forUnmatched(target: string): RouteFacts {
    const path = routedPath(target);
    return {
      contract: contractOfPath(path),
      audited: isAuditedPath(path),
      action: undefined,
      pattern: undefined,
      unitOfWork: 'none',
      successStatus: 200,
      deadlineMs: undefined,
    };
  }

  private collectHandlers(): Map<string, HandlerFacts> {
    const handlers = new Map<string, HandlerFacts>();
    for (const wrapper of this.discovery.getControllers()) {
      const metatype = wrapper.metatype as Type | undefined;
      if (!metatype || !wrapper.instance) continue;
      for (const { handler, routes } of handlerRoutesOf(metatype)) {
        const facts: HandlerFacts = {
          action: this.reflector.getAllAndOverride<string | undefined>(AUDIT_ACTION, [
            handler,
            metatype,
          ]),
          ownUnitOfWork:
            this.reflector.getAllAndOverride<boolean | undefined>(OWN_UNIT_OF_WORK, [
              handler,
              metatype,
            ]) === true,
          httpCode: Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined,
          deadlineMs: this.reflector.getAllAndOverride<number | undefined>(ROUTE_DEADLINE_MS, [
            handler,
            metatype,
          ]),
        };
        for (const route of routes) handlers.set(`${route.verb} ${route.path}`, facts);
      }
    }
    return handlers;
  }
}
