import { Global, Logger, Module } from '@nestjs/common';
import { Environment } from '../config/environment.js';
import { DatabaseConnection, openDatabaseConnection } from './database-connection.js';
import { DatabaseMetrics } from './database-metrics.js';
import { applyMigrations, readMigrations } from './migration-runner.js';
import { PrismaService } from './prisma.service.js';

export async function migrateDatabase(connection: DatabaseConnection): Promise<string[]> {
  const session = await connection.openSession();
  try {
    const { applied } = await applyMigrations(session, await readMigrations());
    return applied;
  } finally {
    await session.release();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: DatabaseConnection,
      inject: [Environment],
      useFactory: async (environment: Environment) => {
        const connection = await openDatabaseConnection(environment);
        if (environment.MIGRATE_ON_START) {
          try {
            const applied = await migrateDatabase(connection);
            if (applied.length > 0) {
              new Logger('Migrations').log(`applied ${applied.length}: ${applied.join(', ')}`);
            }
          } catch (error) {
            await connection.close();
            throw error;
          }
        }
        return connection;
      },
    },
    PrismaService,
    DatabaseMetrics,
  ],
  exports: [DatabaseConnection, PrismaService],
})
export class DatabaseModule {}
