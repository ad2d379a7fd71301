import { Injectable } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { AUDIT_ACTION } from '../../common/http/audit-facts.js';

function joinPath(...parts: string[]): string {
  const joined = parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/');
  return `/${joined}`;
}

/**
 * `@AuditAction` names by route ("POST /v1/api/verify" → "verify"), built from the controllers'
 * metadata. The error path only has the Fastify request (a guard may reject before any
 * interceptor runs), so it looks the action up here by the matched route pattern.
 */
@Injectable()
export class AuditActionMap {
  private actions: Map<string, string> | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  lookup(method: string, routeUrl: string | undefined): string | undefined {
    if (routeUrl === undefined) return undefined;
    this.actions ??= this.build();
    return this.actions.get(`${method.toUpperCase()} ${joinPath(routeUrl)}`);
  }

  private build(): Map<string, string> {
    const actions = new Map<string, string>();
    for (const wrapper of this.discovery.getControllers()) {
      const metatype = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
      if (!metatype || !wrapper.instance) continue;
      const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      const controllerPaths = [Reflect.getMetadata(PATH_METADATA, metatype) as string | string[] | undefined ?? '/'].flat();
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as (...args: unknown[]) => unknown;
        const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (methodPath === undefined || requestMethod === undefined) continue;
        const action = this.reflector.getAllAndOverride<string | undefined>(AUDIT_ACTION, [handler, metatype]);
        if (!action) continue;
        const methods = requestMethod === RequestMethod.ALL ? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] : [RequestMethod[requestMethod]];
        for (const controllerPath of controllerPaths) {
          for (const path of [methodPath].flat()) {
            for (const verb of methods) actions.set(`${verb} ${joinPath(controllerPath, path)}`, action);
          }
        }
      }
    }
    return actions;
  }
}
