import { Injectable } from '@nestjs/common';
import type { ServiceType } from '../verification/dto/verify.dto.js';
import { completePolicy, defaultPolicy, type DeepPartial, type Policy } from './intelligence-policy.js';
import { IntelligenceRepository } from './intelligence.repository.js';

export interface VersionedPolicy {
  serviceType: ServiceType;
  /** 0: the built-in default (no version stored yet). */
  version: number;
  policy: Policy;
  createdBy: string | null;
  createdAt: string | null;
}

/** The clients' intelligence policies: one per service type, versioned, defaults built in. */
@Injectable()
export class PoliciesService {
  constructor(private readonly repository: IntelligenceRepository) {}

  /** The policy in force for the client's journey (its newest version, else the default). */
  async activePolicy(clientId: string, serviceType: ServiceType): Promise<VersionedPolicy> {
    const stored = await this.repository.findActivePolicy(clientId, serviceType);
    if (!stored) return { serviceType, version: 0, policy: defaultPolicy(serviceType), createdBy: null, createdAt: null };
    return {
      serviceType,
      version: stored.version,
      // Stored complete; completing again lets defaults added later reach older versions.
      policy: completePolicy(serviceType, stored.policy as DeepPartial<Policy>),
      createdBy: stored.createdBy,
      createdAt: stored.createdAt.toISOString(),
    };
  }
}
