import { Injectable } from '@nestjs/common';
import { decodeCursor, pageOf, type Page } from '../../common/http/pagination.js';
import { invalidOperatorSettings, operatorExists, operatorNotFound } from './operators.errors.js';
import {
  OperatorsRepository,
  type Operator,
  type OperatorRow,
  type OperatorRowChange,
} from './operators.repository.js';

export type OperatorAdapterKind = 'sandbox' | 'upstream' | 'camara';

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

/** An upstream operator must say where its upstream is and which client id to use there. */
function checkSettings(kind: OperatorAdapterKind, settings: Record<string, unknown>): void {
  if (kind !== 'upstream') return;
  const { baseUrl, clientId } = settings;
  if (
    typeof baseUrl !== 'string' ||
    !/^https?:\/\/[^\s]+$/.test(baseUrl) ||
    !URL.canParse(baseUrl)
  ) {
    throw invalidOperatorSettings('an upstream operator needs settings.baseUrl, an http(s) URL');
  }
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 100) {
    throw invalidOperatorSettings(
      'an upstream operator needs settings.clientId, its client id at the upstream',
    );
  }
}

function toView(operator: Operator): OperatorView {
  return {
    id: operator.id,
    name: operator.name,
    country: operator.country,
    numberPrefixes: operator.numberPrefixes,
    enrichmentHeader: operator.enrichmentHeader,
    trustedRanges: operator.trustedRanges,
    adapterKind: ADAPTER_KINDS[operator.adapterKind],
    settings: (operator.settings ?? {}) as Record<string, unknown>,
    monitoredPeriodDays: operator.monitoredPeriodDays,
    enabled: operator.enabled,
  };
}

@Injectable()
export class OperatorsService {
  private cache: { loadedAt: number; operators: OperatorView[] } | undefined;

  constructor(private readonly repository: OperatorsRepository) {}

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
    const operators = (await this.repository.listAll()).map(toView);
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
    const created = await this.repository.insert(row);
    if (!created) throw operatorExists();
    this.cache = undefined;
    return toView(created);
  }

  private async update(id: string, change: OperatorRowChange): Promise<OperatorView> {
    const updated = await this.repository.change(id, change);
    if (!updated) throw operatorNotFound();
    this.cache = undefined;
    return toView(updated);
  }

  /** Admin view: enabled or not. */
  async findAny(id: string): Promise<OperatorView | undefined> {
    const operator = await this.repository.findById(id);
    return operator ? toView(operator) : undefined;
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
