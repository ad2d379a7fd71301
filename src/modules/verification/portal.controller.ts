import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PageQueryDto, PAGE_LIMIT_DEFAULT, type Page } from '../../common/http/pagination.js';
import { ApiAuthmatechOk } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { ApiKeyAuth, CurrentClient } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { authmatechSuccess as success } from '../../common/http/authmatech-envelope.js';
import { BalanceService, type BalanceHistoryEntry } from './balance.service.js';
import { BalanceHistoryPageDto, ProductsDataDto } from './dto/verification-responses.dto.js';

/** The client's own view of its products and credits (always its own: the id comes from its credentials). */
@ApiTags(Tags.portal)
@Controller('v1/api/me')
@ApiKeyAuth()
export class BalancePortalController {
  constructor(private readonly balances: BalanceService) {}

  @Get('products')
  @ApiOperation({ summary: 'Enabled products and the verification balance' })
  @ApiAuthmatechOk(ProductsDataDto, { description: "The client's products and balance." })
  async products(
    @CurrentClient() client: AuthenticatedClient,
  ): Promise<AuthmatechEnvelope<ProductsDataDto>> {
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
  @ApiAuthmatechOk(BalanceHistoryPageDto, { description: 'A page of ledger entries.' })
  async history(
    @CurrentClient() client: AuthenticatedClient,
    @Query() query: PageQueryDto,
  ): Promise<AuthmatechEnvelope<Page<BalanceHistoryEntry>>> {
    return success(
      await this.balances.history(client.clientId, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor),
    );
  }
}
