import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Environment, validateEnvironment } from './environment.js';

/**
 * Loads `.env` (when present) and the process environment through @nestjs/config, validates them
 * once, and provides the typed `Environment` to every module. `overrides` lets tests and the CLI
 * start the same module graph on another database without touching process.env.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          cache: true,
          validate: (raw: Record<string, unknown>) => ({
            ...raw,
            environment: validateEnvironment({ ...raw, ...overrides }),
          }),
        }),
      ],
      providers: [
        {
          provide: Environment,
          inject: [ConfigService],
          useFactory: (config: ConfigService): Environment =>
            config.getOrThrow<Environment>('environment'),
        },
      ],
      exports: [Environment],
    };
  }
}
