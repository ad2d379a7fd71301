import { Injectable } from '@nestjs/common';
import { Environment } from '../../common/config/environment.js';
import { decodeCursor, pageOf, type Page } from '../../common/http/pagination.js';
import { invalidOperatorSettings, operatorExists, operatorNotFound } from './operators.errors.js';
import { parseOperatorSettings, type OperatorAdapterKind } from './dto/operator-settings.js';
import {
  OperatorsRepository,
  type Operator,
  type OperatorRow,
  type OperatorRowChange,
} from './operators.repository.js';

export type { OperatorAdapterKind };

/**
 * Where the swap events of an operator's numbers come from (README "Where events come from"):
 * sandbox overrides, the operator's own CAMARA SIM Swap Subscriptions, retrieve-date polling, or
 * nowhere (the operator has no swap API).
 */
export type SwapEventSource = 'sandbox_override' | 'upstream_subscription' | 'polling' | 'none';

/** The `settings` flag saying a `camara` operator offers CAMARA SIM Swap Subscriptions 0.3. */
const SIM_SWAP_SUBSCRIPTIONS_SETTING = 'simSwapSubscriptions';

/** An operator as the other modules see it (no Prisma types leak out of this module). */
export interface OperatorView {
  id: string;
  name: string;
  country: string;
  numberPrefixes: string[];
  enrichmentHeader: string | null;
  trustedRanges: string[];
  adapterKind: OperatorAdapterKind;
  settings: Record<string, unknown>;
  monitoredPeriodDays: number | null;
  enabled: boolean;
  /** Derived from the adapter, the settings and whether the gateway's receiver is configured. */
  swapEvents: { sim: SwapEventSource; device: SwapEventSource };
}

// Operators change rarely and are read on every verification and SIM-swap check: keep them in
// memory briefly. A change made on another instance shows here within this bound.
const CACHE_TTL_MS = 5_000;

/** What an admin states about an operator (the admin API's body, without Prisma types). */
export interface OperatorInput {
  id: string;
  name: string;
  country: string;
  numberPrefixes: string[];
  enrichmentHeader?: string | null;
  trustedRanges?: string[];
  adapterKind?: OperatorAdapterKind;
  settings?: Record<string, unknown>;
  monitoredPeriodDays?: number | null;
  enabled?: boolean;
}

export type OperatorChange = Partial<Omit<OperatorInput, 'id'>>;

const ADAPTER_KINDS: Record<Operator['adapterKind'], OperatorAdapterKind> = {
  SANDBOX: 'sandbox',
  UPSTREAM: 'upstream',
  CAMARA: 'camara',
};

const STORED_KINDS: Record<OperatorAdapterKind, Operator['adapterKind']> = {
  sandbox: 'SANDBOX',
  upstream: 'UPSTREAM',
  camara: 'CAMARA',
};

/**
 * Settings must fit their adapter kind: refused when an admin writes them, not when a request
 * needs them. Only a `camara` operator can offer CAMARA SIM Swap Subscriptions (a boolean; it is
 * subscribed to under its baseUrl); that flag is checked first so its refusal names it.
 */
function checkSettings(kind: OperatorAdapterKind, settings: Record<string, unknown>): void {
  const offers = settings[SIM_SWAP_SUBSCRIPTIONS_SETTING];
  if (offers !== undefined) {
    if (kind !== 'camara')
      throw invalidOperatorSettings(
        `settings.${SIM_SWAP_SUBSCRIPTIONS_SETTING} applies to camara operators only`,
      );
    if (typeof offers !== 'boolean')
      throw invalidOperatorSettings(
        `settings.${SIM_SWAP_SUBSCRIPTIONS_SETTING} must be true or false`,
      );
  }
  const parsed = parseOperatorSettings(kind, settings);
  if ('problem' in parsed) throw invalidOperatorSettings(parsed.problem);
}

function swapEventsOf(
  kind: OperatorAdapterKind,
  settings: Record<string, unknown>,
  receiverConfigured: boolean,
): OperatorView['swapEvents'] {
  switch (kind) {
    case 'sandbox':
      return { sim: 'sandbox_override', device: 'sandbox_override' };
    case 'camara':
      // CAMARA defines no device-swap subscriptions: device swaps are always polled.
      return {
        sim:
          settings[SIM_SWAP_SUBSCRIPTIONS_SETTING] === true && receiverConfigured
            ? 'upstream_subscription'
            : 'polling',
        device: 'polling',
      };
    default:
      return { sim: 'none', device: 'none' };
  }
}

function toView(operator: Operator, receiverConfigured: boolean): OperatorView {
  const settings = (operator.settings ?? {}) as Record<string, unknown>;
  const adapterKind = ADAPTER_KINDS[operator.adapterKind];
  return {
    id: operator.id,
    name: operator.name,
    country: operator.country,
    numberPrefixes: operator.numberPrefixes,
    enrichmentHeader: operator.enrichmentHeader,
    trustedRanges: operator.trustedRanges,
    adapterKind,
    settings,
    monitoredPeriodDays: operator.monitoredPeriodDays,
    enabled: operator.enabled,
    swapEvents: swapEventsOf(adapterKind, settings, receiverConfigured),
  };
}

@Injectable()
export class OperatorsService {
  private cache: { loadedAt: number; operators: OperatorView[] } | undefined;

  private readonly receiverConfigured: boolean;

  constructor(
    private readonly repository: OperatorsRepository,
    environment: Environment,
  ) {
    // Without the receiver's public address no operator can be given a sink: every one is polled.
    this.receiverConfigured = environment.PUSH_UPSTREAM_RECEIVER_URL !== undefined;
  }

  private toView = (operator: Operator): OperatorView => toView(operator, this.receiverConfigured);

  /** A page of all operators, enabled or not, by id (few enough to page from the cache). */
  async page(limit: number, cursor?: string): Promise<Page<OperatorView>> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, ['s'])[0];
    // Sorted here, by code points, so the cursor comparison and the order agree whatever the database collation.
    const rest = [...(await this.list())]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .filter((operator) => after === undefined || operator.id > after);
    return pageOf(
      rest.slice(0, limit + 1),
      limit,
      (operator) => operator,
      (operator) => [operator.id],
    );
  }

  async list(): Promise<OperatorView[]> {
    if (this.cache && Date.now() - this.cache.loadedAt < CACHE_TTL_MS) return this.cache.operators;
    const operators = (await this.repository.listAll()).map(this.toView);
    this.cache = { loadedAt: Date.now(), operators };
    return operators;
  }

  async findById(id: string): Promise<OperatorView | undefined> {
    return (await this.list()).find((operator) => operator.id === id && operator.enabled);
  }

  /** The enabled operator whose longest number prefix matches the E.164 number. */
  async routeByPhoneNumber(phoneNumber: string): Promise<OperatorView | undefined> {
    let best: { operator: OperatorView; length: number } | undefined;
    for (const operator of await this.list()) {
      if (!operator.enabled) continue;
      for (const prefix of operator.numberPrefixes) {
        if (phoneNumber.startsWith(prefix) && prefix.length > (best?.length ?? 0)) {
          best = { operator, length: prefix.length };
        }
      }
    }
    return best?.operator;
  }

  /** Adds an operator as stored (tests and the sandbox bootstrap); 409 when the id is taken. */
  async create(row: OperatorRow): Promise<OperatorView> {
    const inserted = await this.repository.insert(row);
    if (!inserted) throw operatorExists();
    const created = this.toView(inserted);
    this.cache = undefined;
    return created;
  }

  private async update(id: string, change: OperatorRowChange): Promise<OperatorView> {
    const changed = await this.repository.change(id, change);
    if (!changed) throw operatorNotFound();
    const updated = this.toView(changed);
    this.cache = undefined;
    return updated;
  }

  /** Admin view: enabled or not. */
  async findAny(id: string): Promise<OperatorView | undefined> {
    const operator = await this.repository.findById(id);
    return operator ? this.toView(operator) : undefined;
  }

  /** Admin API: adds an operator (409 when the id is taken). */
  async register(input: OperatorInput): Promise<OperatorView> {
    const kind = input.adapterKind ?? 'sandbox';
    checkSettings(kind, input.settings ?? {});
    return this.create({
      id: input.id,
      name: input.name,
      country: input.country,
      numberPrefixes: input.numberPrefixes,
      enrichmentHeader: input.enrichmentHeader ?? null,
      trustedRanges: input.trustedRanges ?? [],
      adapterKind: STORED_KINDS[kind],
      settings: input.settings ?? {},
      monitoredPeriodDays: input.monitoredPeriodDays ?? null,
      enabled: input.enabled ?? true,
    });
  }

  /** Admin API: changes the given fields (404 when the operator does not exist). */
  async change(id: string, change: OperatorChange): Promise<OperatorView> {
    const current = await this.findAny(id);
    if (!current) throw operatorNotFound();
    checkSettings(change.adapterKind ?? current.adapterKind, change.settings ?? current.settings);
    const data: OperatorRowChange = {
      ...(change.name !== undefined && { name: change.name }),
      ...(change.country !== undefined && { country: change.country }),
      ...(change.numberPrefixes !== undefined && { numberPrefixes: change.numberPrefixes }),
      ...(change.enrichmentHeader !== undefined && { enrichmentHeader: change.enrichmentHeader }),
      ...(change.trustedRanges !== undefined && { trustedRanges: change.trustedRanges }),
      ...(change.adapterKind !== undefined && { adapterKind: STORED_KINDS[change.adapterKind] }),
      ...(change.settings !== undefined && { settings: change.settings }),
      ...(change.monitoredPeriodDays !== undefined && {
        monitoredPeriodDays: change.monitoredPeriodDays,
      }),
      ...(change.enabled !== undefined && { enabled: change.enabled }),
    };
    return this.update(id, data);
  }
}
