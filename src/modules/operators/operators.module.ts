import { Module } from '@nestjs/common';
import { OperatorsRepository } from './operators.repository.js';
import { OperatorsService } from './operators.service.js';

/** Mobile network operators: routing by number prefix, enrichment settings, adapter choice. */
@Module({
  providers: [OperatorsRepository, OperatorsService],
  exports: [OperatorsService],
})
export class OperatorsModule {}
