import { Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Environment } from '../../common/config/environment.js';
import { SIMULATOR_SOURCE_ADDRESS } from './network-simulator.js';
import { OperatorsRepository } from './operators.repository.js';
import { OperatorsService } from './operators.service.js';

const MARKER = 'operators.sandbox_network';

/**
 * First start on the embedded on-disk database of a developer machine: the sandbox operators
 * trust the operator network simulator's address (`npm run cli -- sandbox:mobile-network`), so
 * a browser behind it is "on mobile data" at once. Only where it is set up once, by a marker,
 * never on PostgreSQL, in production or in tests; elsewhere an admin sets trustedRanges, as for
 * a real operator.
 */
@Injectable()
export class SandboxNetworkBootstrap implements OnApplicationBootstrap {
  constructor(
    private readonly environment: Environment,
    private readonly repository: OperatorsRepository,
    private readonly operators: OperatorsService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.adapterHost?.httpAdapter || !this.environment.isDeveloperSandbox) return;
    if (!(await this.repository.claimMarker(MARKER))) return;
    const trusted: string[] = [];
    for (const operator of await this.operators.list()) {
      if (
        operator.adapterKind !== 'sandbox' ||
        !operator.enrichmentHeader ||
        operator.trustedRanges.length > 0
      )
        continue;
      await this.operators.change(operator.id, {
        trustedRanges: [`${SIMULATOR_SOURCE_ADDRESS}/32`],
      });
      trusted.push(operator.id);
    }
    new Logger(SandboxNetworkBootstrap.name).log(
      `sandbox operators ${trusted.join(', ')} trust the mobile network simulator at ${SIMULATOR_SOURCE_ADDRESS}`,
    );
  }
}
