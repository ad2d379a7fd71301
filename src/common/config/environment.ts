import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalized)) return true;
  if (['false', '0', 'no'].includes(normalized)) return false;
  return value;
};

const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * Every environment variable the gateway reads, validated once at boot. Defaults are safe for a
 * developer machine; `.env.example` documents each one.
 */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** PostgreSQL connection string. Unset: the embedded PGlite database under EMBEDDED_DATA_DIR. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsString()
  EMBEDDED_DATA_DIR = './.data/pglite';

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_MAX = 10;

  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(120_000)
  DATABASE_CONNECT_TIMEOUT_MS = 5_000;

  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 15_000;

  /** Apply pending migrations at start-up (under Prisma's advisory lock, so instances may race). */
  @Transform(toBoolean)
  @IsBoolean()
  MIGRATE_ON_START = true;

  /** Run scheduled jobs (retention, credential expiry) in this process. Each job still runs on one instance at a time. */
  @Transform(toBoolean)
  @IsBoolean()
  JOBS_ENABLED = true;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /** Largest accepted request body; larger bodies get 413 in the caller's envelope. */
  @Transform(toInteger)
  @IsInt()
  @Min(1_024)
  @Max(10 * 1024 * 1024)
  BODY_LIMIT_BYTES = 64 * 1024;

  /**
   * Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed.
   * Empty: the client address is the TCP peer.
   */
  @IsString()
  TRUSTED_PROXIES = '';

  /** HMAC key for stored API keys, client secrets and tokens (≥ 32 bytes, base64url or hex). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  API_KEY_PEPPER?: string;

  /** HMAC key for phone numbers in the audit trail (≥ 32 bytes). Never stored in the database. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PHONE_HASH_PEPPER?: string;

  /** Key-encryption keys, `<version>:<32 bytes base64url>` comma-separated (rotation: add a version). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  SECRET_ENCRYPTION_KEYS?: string;

  /** Version that encrypts new secrets; default: the highest in SECRET_ENCRYPTION_KEYS. */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  SECRET_ENCRYPTION_KEY_VERSION?: number;

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  get usesEmbeddedDatabase(): boolean {
    return this.DATABASE_URL === undefined;
  }
}

/** Names and messages of the variables that failed, so an operator sees what to fix. */
export class EnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'EnvironmentError';
  }
}

export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const known = Object.keys(new Environment());
  const relevant = Object.fromEntries(
    Object.entries(raw).filter(([key, value]) => known.includes(key) && value !== undefined),
  );
  const environment = plainToInstance(Environment, relevant);
  const errors = validateSync(environment, { forbidUnknownValues: true });
  if (errors.length > 0) {
    // Messages name the variable and the rule, never the submitted value: it may be a secret.
    throw new EnvironmentError(
      errors.map(
        (error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`,
      ),
    );
  }
  return environment;
}
