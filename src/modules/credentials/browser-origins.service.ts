import { Injectable } from '@nestjs/common';
import { Environment } from '../../common/config/environment.js';
import { CredentialsRepository } from './credentials.repository.js';

interface Snapshot {
  loadedAt: number;
  byClient: Map<string, ReadonlySet<string>>;
  anyClient: ReadonlySet<string>;
}

/**
 * Which browser origins may use which client's SDK tokens. Asked on every browser request, so the
 * whole table is held as one snapshot, reloaded at most every CREDENTIAL_CACHE_TTL_MS (as the
 * credential cache: a change on another instance shows within that bound, on this one at once).
 * One query per interval, whatever the traffic; nothing keyed by a header a caller chooses.
 */
@Injectable()
export class BrowserOrigins {
  private snapshot: Snapshot | undefined;
  private loading: Promise<Snapshot> | undefined;
  /** Bumped by every change, so a reload that started before it is not kept. */
  private generation = 0;

  constructor(
    private readonly repository: CredentialsRepository,
    private readonly environment: Environment,
  ) {}

  /** Does the client allow pages of this origin? */
  async allows(clientId: string, origin: string): Promise<boolean> {
    return (await this.current()).byClient.get(clientId)?.has(origin) ?? false;
  }

  /**
   * Does any client allow this origin? A preflight carries no credentials, so this is all it can
   * be judged by; the request that follows is held to its own client's list.
   */
  async allowedByAnyClient(origin: string): Promise<boolean> {
    return (await this.current()).anyClient.has(origin);
  }

  invalidate(): void {
    this.generation += 1;
    this.snapshot = undefined;
    this.loading = undefined;
  }

  private async current(): Promise<Snapshot> {
    const snapshot = this.snapshot;
    if (snapshot && Date.now() - snapshot.loadedAt < this.environment.CREDENTIAL_CACHE_TTL_MS)
      return snapshot;
    // One reload at a time: concurrent requests share it.
    if (!this.loading) {
      const loading = this.load(this.generation).finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  private async load(generation: number): Promise<Snapshot> {
    const loadedAt = Date.now();
    const rows = await this.repository.listBrowserOrigins();
    const byClient = new Map(rows.map((row) => [row.id, new Set(row.allowedOrigins)] as const));
    const snapshot = {
      loadedAt,
      byClient,
      anyClient: new Set(rows.flatMap((row) => row.allowedOrigins)),
    };
    if (generation === this.generation) this.snapshot = snapshot;
    return snapshot;
  }
}
