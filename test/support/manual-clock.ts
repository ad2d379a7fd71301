import { Clock } from '../../src/common/clock/clock.js';

/**
 * A clock the test moves by hand; the gateway reads it through the injected `Clock`
 * (`startTestApp(database, overrides, { clock })`).
 */
export class ManualClock extends Clock {
  constructor(private current: Date) {
    super();
  }

  override now(): Date {
    return new Date(this.current.getTime());
  }

  set(at: Date): void {
    this.current = new Date(at.getTime());
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
