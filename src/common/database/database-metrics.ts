import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';
import { DatabaseConnection } from './database-connection.js';

/** The connection pool, read on each scrape: in use near max with queries waiting means the pool (or the database) is the bottleneck. */
@Injectable()
export class DatabaseMetrics {
  constructor(metrics: MetricsService, connection: DatabaseConnection) {
    new Gauge({
      name: 'gateway_db_pool_connections',
      help: 'PostgreSQL pool connections by state: max (DATABASE_POOL_MAX), open, idle, in_use, and waiting (queries queued for a connection).',
      labelNames: ['state'],
      registers: [metrics.registry],
      collect(): void {
        const stats = connection.poolStats();
        if (!stats) return;
        this.set({ state: 'max' }, stats.max);
        this.set({ state: 'open' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'in_use' }, stats.total - stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    });
  }
}
