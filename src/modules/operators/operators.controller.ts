import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth } from '../../common/auth/auth.decorators.js';
import { CommonCodes } from '../../common/errors/api-error.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import { PAGE_LIMIT_DEFAULT, PageQueryDto, type Page } from '../../common/http/pagination.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { OperatorSecretsService } from './operator-secrets.service.js';
import {
  CreateOperatorDto,
  OperatorDto,
  OperatorPageDto,
  OperatorParamsDto,
  OperatorSecretDto,
  OperatorSecretParamsDto,
  UpdateOperatorDto,
} from './dto/operator.dto.js';
import { operatorNotFound, OperatorsCodes } from './operators.errors.js';
import { OperatorsService, type OperatorView } from './operators.service.js';

/** Operators are data: admins list, add and change them, and store their upstream secrets. */
@ApiTags(Tags.adminOperators)
@Controller('admin/v1/operators')
@AdminAuth('admin')
export class OperatorsController {
  constructor(
    private readonly operators: OperatorsService,
    private readonly secrets: OperatorSecretsService,
  ) {}

  @Get()
  @AuditAction('operator.list')
  @ApiOperation({ summary: 'All operators, enabled or not, by id' })
  @ApiOkResponse({ type: OperatorPageDto, description: 'A page of operators.' })
  list(@Query() query: PageQueryDto): Promise<Page<OperatorView>> {
    return this.operators.page(query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
  }

  @Get(':id')
  @AuditAction('operator.read')
  @ApiOperation({ summary: 'One operator' })
  @ApiOkResponse({ type: OperatorDto, description: 'The operator.' })
  @ApiErrors({ 404: [CommonCodes.notFound] })
  async read(@Param() params: OperatorParamsDto): Promise<OperatorView> {
    const operator = await this.operators.findAny(params.id);
    if (!operator) throw operatorNotFound();
    return operator;
  }

  @Post()
  @AuditAction('operator.create')
  @ApiOperation({ summary: 'Add an operator' })
  @ApiCreatedResponse({ type: OperatorDto, description: 'The new operator.' })
  @ApiErrors({ 409: [OperatorsCodes.alreadyExists] })
  async create(
    @Body() body: CreateOperatorDto,
    @Req() request: FastifyRequest,
  ): Promise<OperatorView> {
    auditFacts(request).detail = {
      operatorId: body.id,
      adapterKind: body.adapterKind ?? 'sandbox',
    };
    auditFacts(request).operatorId = body.id;
    return this.operators.register(body);
  }

  @Patch(':id')
  @AuditAction('operator.update')
  @ApiOperation({ summary: 'Change an operator (only the fields given)' })
  @ApiOkResponse({ type: OperatorDto, description: 'The operator after the change.' })
  @ApiErrors({ 404: [CommonCodes.notFound] })
  async update(
    @Param() params: OperatorParamsDto,
    @Body() body: UpdateOperatorDto,
    @Req() request: FastifyRequest,
  ): Promise<OperatorView> {
    auditFacts(request).operatorId = params.id;
    auditFacts(request).detail = { fields: Object.keys(body) };
    return this.operators.change(params.id, body);
  }

  @Put(':id/secrets/:name')
  @HttpCode(204)
  @AuditAction('operator.secret.put')
  @ApiOperation({
    summary:
      'Store an upstream secret of the operator (e.g. apiKey), encrypted; it is never returned',
  })
  @ApiNoContentResponse({ description: 'Stored.' })
  @ApiErrors({ 404: [CommonCodes.notFound] })
  async putSecret(
    @Param() params: OperatorSecretParamsDto,
    @Body() body: OperatorSecretDto,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    auditFacts(request).operatorId = params.id;
    auditFacts(request).detail = { secretName: params.name };
    if (!(await this.operators.findAny(params.id))) throw operatorNotFound();
    await this.secrets.put(params.id, params.name, body.value);
  }
}
