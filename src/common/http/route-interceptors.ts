import type { DynamicModule, NestInterceptor, Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, MODULE_METADATA } from '@nestjs/common/constants.js';
import { handlerRoutesOf, type HandlerRoutes } from './route-facts.js';

/** An interceptor and the handlers it wraps. */
export interface RouteInterceptorRule {
  interceptor: Type<NestInterceptor>;
  appliesTo(handler: HandlerRoutes): boolean;
}

type ModuleLike = Type | DynamicModule | Promise<DynamicModule> | undefined;

/** Every controller of `modules` and of the modules they import, each once. */
function controllersOf(modules: readonly ModuleLike[]): Set<Type> {
  const controllers = new Set<Type>();
  const visited = new Set<unknown>();
  const visit = (entry: ModuleLike): void => {
    if (!entry || entry instanceof Promise || visited.has(entry)) return;
    visited.add(entry);
    const moduleClass = 'module' in entry ? entry.module : entry;
    const dynamic = 'module' in entry ? entry : undefined;
    const declared = [
      ...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, moduleClass) as Type[] | undefined) ??
        []),
      ...(dynamic?.controllers ?? []),
    ];
    for (const controller of declared) controllers.add(controller);
    const imports = [
      ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, moduleClass) as ModuleLike[] | undefined) ??
        []),
      ...((dynamic?.imports as ModuleLike[] | undefined) ?? []),
    ];
    if (moduleClass !== entry) visit(moduleClass);
    for (const imported of imports) visit(imported);
  };
  for (const entry of modules) visit(entry);
  return controllers;
}

/**
 * Route-scoped interceptors, attached to exactly the handlers each rule selects, in rule order
 * (the first rule's interceptor is outermost). A global interceptor would put every request,
 * health checks and verdicts included, through Nest's interceptor chain (rxjs observables and an
 * async scope per interceptor) only to pass it through; a handler without interceptors skips the
 * chain entirely. Runs before Nest scans the modules, so each application resolves its own
 * instances as the controllers' injectables; calling it again changes nothing.
 */
export function attachRouteInterceptors(
  modules: readonly ModuleLike[],
  rules: readonly RouteInterceptorRule[],
): void {
  for (const controller of controllersOf(modules)) {
    for (const handler of handlerRoutesOf(controller)) {
      const current =
        (Reflect.getMetadata(INTERCEPTORS_METADATA, handler.handler) as unknown[] | undefined) ??
        [];
      const wanted = rules
        .filter((rule) => rule.appliesTo(handler) && !current.includes(rule.interceptor))
        .map((rule) => rule.interceptor);
      if (wanted.length > 0)
        Reflect.defineMetadata(INTERCEPTORS_METADATA, [...current, ...wanted], handler.handler);
    }
  }
}

/** Whether `interceptor` wraps `handler` (the start-up check of the rules above). */
export function isIntercepted(
  handler: (...args: unknown[]) => unknown,
  interceptor: Type<NestInterceptor>,
): boolean {
  return (
    (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? []
  ).includes(interceptor);
}
