import { Injectable } from '@nestjs/common';

/**
 * The drain at shutdown: from its start readiness answers 503 `shutting_down`, so load balancers
 * stop sending requests while those in flight finish (see `main.ts`).
 */
@Injectable()
export class Readiness {
  private drainingSince: number | undefined;

  beginDrain(): void {
    this.drainingSince ??= Date.now();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }
}
