import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
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
          useFactory: (config: ConfigService): Environment => {
            const environment = config.getOrThrow<Environment>('environment');
            warnAboutDeprecatedVariables(environment);
            return environment;
          },
        },
      ],
      exports: [Environment],
    };
  }
}

/** Old names still work for one release; each boot says which to move to. */
function warnAboutDeprecatedVariables(environment: Environment): void {
  const logger = new Logger('Environment');
  for (const { name, replacement, ignored } of environment.deprecatedVariables()) {
    logger.warn(
      ignored
        ? `${name} is deprecated and ignored because ${replacement} is set; remove ${name}`
        : `${name} is deprecated; set ${replacement} instead (${name} is read only while ${replacement} is unset)`,
    );
  }
}
