import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth } from '../../common/auth/auth.decorators.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import { OperatorSecretsService } from '../credentials/operator-secrets.service.js';
import {
  CreateOperatorDto,
  OperatorParamsDto,
  OperatorSecretDto,
  OperatorSecretParamsDto,
  UpdateOperatorDto,
} from './dto/operator.dto.js';
import { operatorNotFound } from './operators.errors.js';
import { OperatorsService, type OperatorView } from './operators.service.js';

/** Operators are data: admins list, add and change them, and store their upstream secrets. */
@ApiTags('Admin: operators')
@Controller('admin/v1/operators')
@AdminAuth('admin')
export class OperatorsController {
  constructor(
    private readonly operators: OperatorsService,
    private readonly secrets: OperatorSecretsService,
  ) {}

  @Get()
  @AuditAction('operator.list')
  @ApiOperation({ summary: 'All operators, enabled or not' })
  async list(): Promise<{ operators: OperatorView[] }> {
    return { operators: await this.operators.list() };
  }

  @Get(':id')
  @AuditAction('operator.read')
  async read(@Param() params: OperatorParamsDto): Promise<OperatorView> {
    const operator = await this.operators.findAny(params.id);
    if (!operator) throw operatorNotFound();
    return operator;
  }

  @Post()
  @AuditAction('operator.create')
  @ApiOperation({ summary: 'Add an operator' })
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
