import { Global, Module } from '@nestjs/common';
import { MetricsEndpoint } from './metrics-endpoint.js';
import { MetricsService } from './metrics.service.js';

/** The Prometheus registry every module reports to, and its `/metrics` endpoint. */
@Global()
@Module({
  providers: [MetricsService, MetricsEndpoint],
  exports: [MetricsService, MetricsEndpoint],
})
export class MetricsModule {}
