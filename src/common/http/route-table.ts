import { Injectable } from '@nestjs/common';
import FindMyWay, { type HTTPVersion, type Instance } from 'find-my-way';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * A copy of the registered routes, filled from Fastify's onRoute hook, so a request that matched
 * no route can be told apart: unknown path (404) or known path with another method (405).
 */
@Injectable()
export class RouteTable {
  private readonly router: Instance<HTTPVersion.V1> = FindMyWay({ ignoreTrailingSlash: true });
  private readonly registered: { method: string; url: string }[] = [];

  add(method: string | string[], url: string): void {
    for (const one of Array.isArray(method) ? method : [method]) {
      if (
        (METHODS as readonly string[]).includes(one) &&
        !this.router.hasRoute(one as 'GET', url)
      ) {
        this.router.on(one as 'GET', url, () => undefined);
        this.registered.push({ method: one, url });
      }
    }
  }

  /** Every registered method and route pattern (for tests that probe each route). */
  list(): readonly { method: string; url: string }[] {
    return this.registered;
  }

  methodsFor(url: string): string[] {
    const path = url.split('?', 1)[0];
    return METHODS.filter((method) => this.router.find(method, path) !== null);
  }
}
