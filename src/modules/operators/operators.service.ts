import { Injectable } from '@nestjs/common';
import type { Operator, Prisma } from '../../generated/prisma/client.js';
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

const ADAPTER_KINDS: Record<Operator['adapterKind'], OperatorAdapterKind> = {
  SANDBOX: 'sandbox',
  UPSTREAM: 'upstream',
  CAMARA: 'camara',
};

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
}
