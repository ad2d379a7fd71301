import { Injectable } from '@nestjs/common';
import { Clock } from '../../../common/clock/clock.js';
import type { SandboxSettings } from '../../operators/dto/operator-settings.js';
import { changedWithin, elapsedSeconds, SECONDS_PER_DAY } from '../swap-buckets.js';
import { SwapLookupError } from '../sim-swap.errors.js';
import { SimSwapRepository, type SandboxOverride } from '../sim-swap.repository.js';
import { SANDBOX_ACTIVATED_SECONDS_AGO, SANDBOX_SUBSCRIBERS } from './sandbox-numbers.js';
import type { SwapAdapter, SwapDate, SwapQuery } from './swap-adapter.js';

interface Subscriber {
  activatedAt: Date;
  simChangedAt?: Date;
  deviceChangedAt?: Date;
  associated: boolean;
  deviceConnected: boolean;
}

const ago = (now: Date, seconds: number): Date => new Date(now.getTime() - seconds * 1000);

/**
 * The embedded operator: answers from the documented table (sandbox-numbers.ts), or from an admin's
 * override of a number. Sandbox operators marked `fail` or `slow` behave like a broken network, so
 * integrators can see the 503 and 504 answers.
 */
@Injectable()
export class SandboxSwapAdapter implements SwapAdapter {
  constructor(
    private readonly clock: Clock,
    private readonly repository: SimSwapRepository,
  ) {}

  async check(query: SwapQuery, maxAgeHours: number): Promise<boolean> {
    const subscriber = await this.subscriber(query);
    if (query.kind === 'sim' && !subscriber.associated) return false;
    const change = query.kind === 'sim' ? subscriber.simChangedAt : subscriber.deviceChangedAt;
    return change !== undefined && changedWithin(change, this.clock.now(), maxAgeHours);
  }

  async retrieveDate(query: SwapQuery): Promise<SwapDate> {
    const subscriber = await this.subscriber(query);
    if (query.kind === 'sim' && !subscriber.associated) return { latestChange: null };
    const change = query.kind === 'sim' ? subscriber.simChangedAt : subscriber.deviceChangedAt;
    // Never changed: the activation date stands in, as CAMARA specifies, unless the law hides it.
    const shown = change ?? subscriber.activatedAt;
    const monitored = query.operator.monitoredPeriodDays;
    if (
      monitored !== null &&
      elapsedSeconds(shown, this.clock.now()) > monitored * SECONDS_PER_DAY
    ) {
      return { latestChange: null, monitoredPeriodDays: monitored };
    }
    return { latestChange: shown };
  }

  private async subscriber(query: SwapQuery): Promise<Subscriber> {
    const started = Date.now();
    // Checked when an admin wrote it (operator-settings.ts): 'fail' or 'slow' stand for broken networks.
    const behaviour = (query.operator.settings as SandboxSettings).sandboxBehaviour;
    if (behaviour === 'fail') {
      query.upstream.push({
        operatorId: query.operator.id,
        status: 'error',
        latencyMs: Date.now() - started,
      });
      throw new SwapLookupError('unavailable', 'sandbox operator configured to fail');
    }
    if (behaviour === 'slow') {
      // Slower than any deadline: answers only when the caller stops waiting.
      await new Promise<void>((resolve) => {
        if (query.signal.aborted) resolve();
        else
          query.signal.addEventListener(
            'abort',
            () => {
              resolve();
            },
            { once: true },
          );
      });
      query.upstream.push({
        operatorId: query.operator.id,
        status: 'timeout',
        latencyMs: Date.now() - started,
      });
      throw new SwapLookupError('timeout', 'sandbox operator configured to be slow');
    }
    const override = await this.repository.findSandboxOverride(query.phoneNumber);
    query.upstream.push({
      operatorId: query.operator.id,
      status: 'sandbox',
      latencyMs: Date.now() - started,
    });
    const subscriber = this.resolve(query.phoneNumber, override);
    if (!subscriber) throw new SwapLookupError('identifier_not_found', 'not a sandbox number');
    if (query.kind === 'device' && !subscriber.deviceConnected) {
      throw new SwapLookupError('service_not_applicable', 'never connected to a device');
    }
    return subscriber;
  }

  private resolve(
    phoneNumber: string,
    override: SandboxOverride | undefined,
  ): Subscriber | undefined {
    const now = this.clock.now();
    const listed = SANDBOX_SUBSCRIBERS.get(phoneNumber);
    if (override) {
      // An admin's dates make the number an ordinary, connected subscriber.
      return {
        activatedAt: ago(now, listed?.activatedSecondsAgo ?? SANDBOX_ACTIVATED_SECONDS_AGO),
        simChangedAt: override.latestSimChange ?? undefined,
        deviceChangedAt: override.latestDeviceChange ?? undefined,
        associated: true,
        deviceConnected: true,
      };
    }
    if (!listed) return undefined;
    return {
      activatedAt: ago(now, listed.activatedSecondsAgo),
      simChangedAt:
        listed.simChangedSecondsAgo === undefined
          ? undefined
          : ago(now, listed.simChangedSecondsAgo),
      deviceChangedAt:
        listed.deviceChangedSecondsAgo === undefined
          ? undefined
          : ago(now, listed.deviceChangedSecondsAgo),
      associated: listed.associated,
      deviceConnected: listed.deviceConnected,
    };
  }
}
