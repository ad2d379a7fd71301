import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth, CurrentClient } from '../../common/auth/auth.decorators.js';
import type {
  AuthenticatedClient,
  ClientEnvironment,
  ClientProduct,
} from '../../common/auth/caller.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { authmatechSuccess as success } from '../../common/http/authmatech-envelope.js';
import { BalanceService, type BalanceHistoryEntry, type BalanceView } from './balance.service.js';
import { HistoryQueryDto } from './dto/balance.dto.js';

interface ProductsData {
  clientId: string;
  environment: ClientEnvironment;
  products: ClientProduct[];
  /** SANDBOX clients are never charged. */
  charged: boolean;
  balance: BalanceView;
}

/** The client's own view of its products and credits (always its own: the id comes from its credentials). */
@ApiTags('Portal')
@Controller('v1/api/me')
@ApiKeyAuth()
export class BalancePortalController {
  constructor(private readonly balances: BalanceService) {}

  @Get('products')
  @ApiOperation({ summary: 'Enabled products and the verification balance' })
  async products(
    @CurrentClient() client: AuthenticatedClient,
  ): Promise<AuthmatechEnvelope<ProductsData>> {
    return success({
      clientId: client.clientId,
      environment: client.environment,
      products: client.products,
      charged: client.environment === 'LIVE',
      balance: await this.balances.balanceOf(client.clientId),
    });
  }

  @Get('balance-history')
  @ApiOperation({ summary: 'Balance changes, newest first: top-ups, verifications, refunds' })
  async history(
    @CurrentClient() client: AuthenticatedClient,
    @Query() query: HistoryQueryDto,
  ): Promise<AuthmatechEnvelope<{ entries: BalanceHistoryEntry[] }>> {
    return success({ entries: await this.balances.history(client.clientId, query.limit ?? 100) });
  }
}
