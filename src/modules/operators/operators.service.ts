import { Injectable } from '@nestjs/common';
import type { Operator, Prisma } from '../../generated/prisma/client.js';
import { decodeCursor, pageOf, type Page } from '../../common/http/pagination.js';
import { invalidOperatorSettings, operatorExists, operatorNotFound } from './operators.errors.js';
import { parseOperatorSettings } from './operator-settings.js';
import { OperatorsRepository } from './operators.repository.js';

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

/** Settings must fit their adapter kind: refused when an admin writes them, not when a request needs them. */
function checkSettings(kind: OperatorAdapterKind, settings: Record<string, unknown>): void {
  const parsed = parseOperatorSettings(kind, settings);
  if ('problem' in parsed) throw invalidOperatorSettings(parsed.problem);
}

function prismaCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
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
    return pageOf(rest.slice(0, limit + 1), limit, (operator) => operator, (operator) => [operator.id]);
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

  async create(data: Prisma.OperatorCreateInput): Promise<OperatorView> {
    const created = toView(await this.repository.create(data));
    this.cache = undefined;
    return created;
  }

  async update(id: string, data: Prisma.OperatorUpdateInput): Promise<OperatorView> {
    const updated = toView(await this.repository.update(id, data));
    this.cache = undefined;
    return updated;
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
    try {
      return await this.create({
        id: input.id,
        name: input.name,
        country: input.country,
        numberPrefixes: input.numberPrefixes,
        enrichmentHeader: input.enrichmentHeader ?? null,
        trustedRanges: input.trustedRanges ?? [],
        adapterKind: STORED_KINDS[kind],
        settings: (input.settings ?? {}) as Prisma.InputJsonObject,
        monitoredPeriodDays: input.monitoredPeriodDays ?? null,
        enabled: input.enabled ?? true,
      });
    } catch (error) {
      if (prismaCode(error) === 'P2002') throw operatorExists();
      throw error;
    }
  }

  /** Admin API: changes the given fields (404 when the operator does not exist). */
  async change(id: string, change: OperatorChange): Promise<OperatorView> {
    const current = await this.findAny(id);
    if (!current) throw operatorNotFound();
    checkSettings(change.adapterKind ?? current.adapterKind, change.settings ?? current.settings);
    const data: Prisma.OperatorUpdateInput = {
      ...(change.name !== undefined && { name: change.name }),
      ...(change.country !== undefined && { country: change.country }),
      ...(change.numberPrefixes !== undefined && { numberPrefixes: change.numberPrefixes }),
      ...(change.enrichmentHeader !== undefined && { enrichmentHeader: change.enrichmentHeader }),
      ...(change.trustedRanges !== undefined && { trustedRanges: change.trustedRanges }),
      ...(change.adapterKind !== undefined && { adapterKind: STORED_KINDS[change.adapterKind] }),
      ...(change.settings !== undefined && { settings: change.settings as Prisma.InputJsonObject }),
      ...(change.monitoredPeriodDays !== undefined && {
        monitoredPeriodDays: change.monitoredPeriodDays,
      }),
      ...(change.enabled !== undefined && { enabled: change.enabled }),
    };
    try {
      return await this.update(id, data);
    } catch (error) {
      if (prismaCode(error) === 'P2025') throw operatorNotFound();
      throw error;
    }
  }
}
