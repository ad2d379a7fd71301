import { AsyncLocalStorage } from 'node:async_hooks';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';

/**
 * The transaction of the request being handled, when its route runs in one (see
 * `RequestTransactionInterceptor`). Repositories reach it through `PrismaService.client`, so a
 * handler's writes join it without passing it around; `open` turns false when it ends, so work a
 * handler left running (a timer, a detached promise) falls back to the pool instead of using a
 * finished transaction.
 */
export interface RequestTransactionScope {
  client: PrismaClient | undefined;
  open: boolean;
  /** Run once the transaction committed, outside it (e.g. a job the request started). */
  readonly afterCommit: (() => void)[];
}

export const requestTransaction = new AsyncLocalStorage<RequestTransactionScope>();

/**
 * The transaction client shaped like the root client: a nested `$transaction(work)` runs `work`
 * in the request's transaction (the repositories' own transactions join it), and the array form
 * runs its queries in it one after another.
 */
export function asJoinableClient(tx: Prisma.TransactionClient): PrismaClient {
  const joined: PrismaClient = new Proxy(tx, {
    get(target, property, receiver) {
      if (property === '$transaction') {
        return async (work: unknown) =>
          typeof work === 'function'
            ? (work as (client: PrismaClient) => Promise<unknown>)(joined)
            : Promise.all(work as Promise<unknown>[]);
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  }) as unknown as PrismaClient;
  return joined;
}

/** Runs `work` after the request's transaction commits, or now when there is none. */
export function afterRequestCommit(work: () => void): void {
  const scope = requestTransaction.getStore();
  if (scope?.open) scope.afterCommit.push(work);
  else requestTransaction.exit(work);
}
