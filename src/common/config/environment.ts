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
  MinLength,
  Validate,
  validateSync,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import ipaddr from 'ipaddr.js';

/** What Fastify's proxy-addr accepts: addresses, CIDR ranges and its named ranges. */
@ValidatorConstraint({ name: 'proxyList' })
class IsProxyList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    return value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .every(
        (entry) =>
          ['loopback', 'linklocal', 'uniquelocal'].includes(entry) ||
          ipaddr.isValid(entry) ||
          ipaddr.isValidCIDR(entry),
      );
  }

  defaultMessage(): string {
    return 'must be a comma-separated list of IP addresses or CIDR ranges (e.g. 10.0.0.0/8,192.168.1.10), or loopback, linklocal, uniquelocal';
  }
}

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

/** Callers of operators whose settings had their own variables before OPERATOR_* (issue 18). */
export type OutboundFamily = 'verify' | 'swap';

export interface OutboundSettings {
  deadlineMs: number;
  breakerVolumeThreshold: number;
  breakerErrorPercent: number;
  breakerResetMs: number;
}

type OutboundVariable =
  | 'OPERATOR_DEADLINE_MS'
  | 'OPERATOR_BREAKER_VOLUME_THRESHOLD'
  | 'OPERATOR_BREAKER_ERROR_PERCENT'
  | 'OPERATOR_BREAKER_RESET_MS';

type DeprecatedVariable =
  | 'CIRCUIT_BREAKER_VOLUME_THRESHOLD'
  | 'CIRCUIT_BREAKER_RESET_MS'
  | 'SIM_SWAP_DEADLINE_MS'
  | 'SIM_SWAP_BREAKER_VOLUME_THRESHOLD'
  | 'SIM_SWAP_BREAKER_ERROR_PERCENT'
  | 'SIM_SWAP_BREAKER_RESET_MS';

const OUTBOUND_DEFAULTS: Record<OutboundVariable, number> = {
  OPERATOR_DEADLINE_MS: 2_000,
  OPERATOR_BREAKER_VOLUME_THRESHOLD: 5,
  OPERATOR_BREAKER_ERROR_PERCENT: 50,
  OPERATOR_BREAKER_RESET_MS: 30_000,
};

/**
 * The old names, kept for one release. Each steers only what it steered before (verify upstreams
 * or CAMARA lookups), so a deployment that set one sees no change until it moves to OPERATOR_*.
 */
const OUTBOUND_ALIASES: Record<
  OutboundFamily,
  Partial<Record<OutboundVariable, DeprecatedVariable>>
> = {
  verify: {
    OPERATOR_BREAKER_VOLUME_THRESHOLD: 'CIRCUIT_BREAKER_VOLUME_THRESHOLD',
    OPERATOR_BREAKER_RESET_MS: 'CIRCUIT_BREAKER_RESET_MS',
  },
  swap: {
    OPERATOR_DEADLINE_MS: 'SIM_SWAP_DEADLINE_MS',
    OPERATOR_BREAKER_VOLUME_THRESHOLD: 'SIM_SWAP_BREAKER_VOLUME_THRESHOLD',
    OPERATOR_BREAKER_ERROR_PERCENT: 'SIM_SWAP_BREAKER_ERROR_PERCENT',
    OPERATOR_BREAKER_RESET_MS: 'SIM_SWAP_BREAKER_RESET_MS',
  },
};

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

  /** NODE_ENV=production refuses the embedded database (one process, no backups) unless this is true. */
  @Transform(toBoolean)
  @IsBoolean()
  ALLOW_EMBEDDED_IN_PRODUCTION = false;

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

  /**
   * How long a pooled statement may wait for a lock (PostgreSQL `lock_timeout`). Short, so one
   * slow holder of a hot row (the audit chain head, a balance) turns into 503s within the request
   * deadline instead of stalling every request on every instance.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(600_000)
  DATABASE_LOCK_TIMEOUT_MS = 1_000;

  /** Every request is answered within this; past it the answer is 503, never a verdict. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(120_000)
  REQUEST_DEADLINE_MS = 5_000;

  /**
   * Requests from one source address that fail authentication (or carry none) are answered 429
   * past this many per minute, counted in the shared limiter; 0 turns it off.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  AUTH_FAILURE_LIMIT_PER_MINUTE = 60;

  /**
   * A source past AUTH_FAILURE_LIMIT_PER_MINUTE is refused at the door for the rest of its minute,
   * valid credentials included, so a flood costs next to nothing. `false`: only its failures are
   * refused, and a valid client sharing the address still passes (each flooding request then goes
   * through authentication first).
   */
  @Transform(toBoolean)
  @IsBoolean()
  AUTH_FAILURE_BLOCKS_SOURCE = true;

  /**
   * A refusal at the door is answered after this delay (a tarpit): an HTTP client waits for each
   * answer before it sends the next request on a connection, so a flooding connection sends one
   * request per delay instead of as many as the gateway can refuse, and the flood stops taking
   * the cores from everyone else. At most AUTH_FAILURE_TARPIT_MAX refusals wait at once per
   * instance; past that they are answered at once. 0 answers at once.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(5_000)
  AUTH_FAILURE_TARPIT_MS = 1_000;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  AUTH_FAILURE_TARPIT_MAX = 10_000;

  /**
   * Refused anonymous requests (no accepted credential) get an audit event each up to this many per
   * source address, answer and route in each AUDIT_ROLLUP_WINDOW_MS; the rest of the window is one
   * roll-up event with their count and first and last time. 0 records every one individually.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  AUDIT_ROLLUP_AFTER = 10;

  @Transform(toInteger)
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  AUDIT_ROLLUP_WINDOW_MS = 10_000;

  /** Readiness answers 503 while the audit writer has been waiting on one commit for longer than this. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  AUDIT_STALL_THRESHOLD_MS = 2_000;

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

  /**
   * Serve the API documentation (`/docs`, `/docs/openapi.json`, `/docs/openapi.yaml`). Switch it
   * off where the gateway's surface should not be browsable; `npm run cli -- openapi` prints the
   * same document offline.
   */
  @Transform(toBoolean)
  @IsBoolean()
  API_DOCS_ENABLED = true;

  // ─── Observability (issue 17) ───
  /** Serve Prometheus metrics at /metrics (see METRICS_PORT and METRICS_TOKEN for where and to whom). */
  @Transform(toBoolean)
  @IsBoolean()
  METRICS_ENABLED = true;

  /**
   * Serve /metrics on a listener of its own at this port (0: any free port) instead of the
   * gateway's port. Unset: on the gateway's port, which outside development needs METRICS_TOKEN.
   */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT?: number;

  /** Bind address of the METRICS_PORT listener; default: HOST. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  METRICS_HOST?: string;

  /** Bearer token a scraper must send (`Authorization: Bearer …`); at least 16 characters. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string;
  /** Longest a shutdown (SIGTERM) may take to drain requests and the audit writer before the process exits anyway. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 20_000;
  // ─── end Observability ───

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
  @Validate(IsProxyList)
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

  // ─── Credentials (issue 3) ───────────────────────────────────────────────────────────────

  /**
   * Production's first admin: `POST /admin/v1/bootstrap {secret}` with this value answers the
   * first admin key, once (refused once any admin key exists). At least 32 characters.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32)
  ADMIN_BOOTSTRAP_SECRET?: string;

  /** Lifetime of SDK tokens minted with POST /v1/api/sdk/token. */
  @Transform(toInteger)
  @IsInt()
  @Min(30)
  @Max(3_600)
  SDK_TOKEN_TTL_SECONDS = 600;

  /** Clock skew accepted on JWT exp/nbf/iat (at most 30 s). */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(30)
  JWT_CLOCK_TOLERANCE_SECONDS = 30;

  /** Longest accepted JWT lifetime (exp − iat). */
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(3_600)
  JWT_MAX_LIFETIME_SECONDS = 300;

  /** Requests per second per JWT key on the Identity Match contract (0 = no per-key limit). */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(100_000)
  JWT_KEY_RATE_LIMIT_PER_SECOND = 1;

  /** Per-client limit given to new clients (requests per minute); admins change it per client. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE = 1_000;

  /** How long an instance may trust a cached credential lookup: the bound on revocation delay. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(5_000)
  CREDENTIAL_CACHE_TTL_MS = 5_000;

  /** How long a rotated credential keeps working (0 = it stops at once). */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  CREDENTIAL_GRACE_PERIOD_SECONDS = 86_400;

  /** Credentials older than this are reported as due for rotation (never rotated silently). */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(3_650)
  CREDENTIAL_MAX_AGE_DAYS = 90;

  /** The proof key the Verification module encrypts with is replaced after this many hours. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(8_760)
  PROOF_KEY_MAX_AGE_HOURS = 24;

  /** A replaced proof key still opens proofs for this long (≥ the longest proof lifetime). */
  @Transform(toInteger)
  @IsInt()
  @Min(60)
  @Max(30 * 86_400)
  PROOF_KEY_RETENTION_SECONDS = 86_400;

  /** Optional Redis for rate-limit counters and JWT replay protection; unset: PostgreSQL. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  // ─── end Credentials ─────────────────────────────────────────────────────────────────────

  // ─── Outbound operator calls (issue 18) ───
  // Unset here means "not configured": each caller family then reads its deprecated alias, if
  // set, or the default (see outboundSettings).
  /** Deadline of every call to an operator or upstream service (token, retries and all), in ms. Default 2000. */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(60_000)
  OPERATOR_DEADLINE_MS?: number;

  /** Calls to one operator within 10 s before its circuit breaker may open. Default 5. */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  OPERATOR_BREAKER_VOLUME_THRESHOLD?: number;

  /** Percentage of failed calls (within 10 s) that opens an operator's circuit breaker. Default 50. */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  OPERATOR_BREAKER_ERROR_PERCENT?: number;

  /** How long an open circuit breaker refuses calls before letting one through, in ms. Default 30000. */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  OPERATOR_BREAKER_RESET_MS?: number;
  // ─── end Outbound ───

  // ─── Verification (issue 5) ───
  /** Lifetime of a verification proof (the enrichment's authmatechCode), in seconds. */
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(3_600)
  PROOF_TTL_SECONDS = 300;

  /** Extra attempts of an upstream call that never reached the upstream (connection refused). */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(3)
  UPSTREAM_RETRIES = 1;

  /** Deprecated alias of OPERATOR_BREAKER_VOLUME_THRESHOLD for upstream verify calls (read while that is unset). */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000)
  CIRCUIT_BREAKER_VOLUME_THRESHOLD?: number;

  /** Deprecated alias of OPERATOR_BREAKER_RESET_MS for upstream verify calls (read while that is unset). */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  CIRCUIT_BREAKER_RESET_MS?: number;
  // ─── end Verification ───

  // ─── SimSwap (issue 6) ───
  /** Deprecated alias of OPERATOR_DEADLINE_MS for SIM/device-swap lookups (read while that is unset). */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(60_000)
  SIM_SWAP_DEADLINE_MS?: number;

  /** Deprecated alias of OPERATOR_BREAKER_VOLUME_THRESHOLD for CAMARA operators (read while that is unset). */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  SIM_SWAP_BREAKER_VOLUME_THRESHOLD?: number;

  /** Deprecated alias of OPERATOR_BREAKER_ERROR_PERCENT for CAMARA operators (read while that is unset). */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  SIM_SWAP_BREAKER_ERROR_PERCENT?: number;

  /** Deprecated alias of OPERATOR_BREAKER_RESET_MS for CAMARA operators (read while that is unset). */
  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  SIM_SWAP_BREAKER_RESET_MS?: number;
  // ─── end SimSwap ───

  // ─── Push (issue 16) ───
  /** Deliver webhooks from this process (several instances may: each event is claimed by one). */
  @Transform(toBoolean)
  @IsBoolean()
  PUSH_DELIVERY_ENABLED = true;

  /** How long an idle delivery worker (pg-boss) waits before it fetches again, in ms; pg-boss polls at most every 500 ms, so smaller values count as 500. */
  @Transform(toInteger)
  @IsInt()
  @Min(5)
  @Max(60_000)
  PUSH_POLL_INTERVAL_MS = 200;

  /** Jobs (events) one delivery worker fetches from pg-boss per round trip. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000)
  PUSH_BATCH_SIZE = 100;

  /** Requests in flight to one sink (scheme, host and port) from one instance. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(256)
  PUSH_SINK_CONCURRENCY = 16;

  /** Timeout of one delivery attempt (connect, request and response), in ms. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(60_000)
  PUSH_ATTEMPT_TIMEOUT_MS = 5_000;

  /**
   * Seconds to wait before each retry (the attempt count is this list's length plus one), each
   * varied by ±20% jitter. The default makes 12 attempts over about 24 hours.
   */
  @Matches(/^\d+(,\d+)*$/)
  PUSH_RETRY_DELAYS_S = '5,30,60,300,900,1800,3600,7200,14400,28800,28800';

  /**
   * Hosts a sink may name although they resolve to a loopback or private address (comma list,
   * exact host names or IP literals); every other such sink is refused (SSRF). Outside production
   * loopback sinks (localhost, 127.0.0.0/8, ::1) are accepted without being listed, over http too;
   * production refuses plain http even for listed hosts.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PUSH_SINK_ALLOWED_HOSTS?: string;

  /**
   * How long before the sink's access token expires its subscription ends (INACTIVE,
   * `subscription-ended` with ACCESS_TOKEN_EXPIRED), in seconds, so that event still carries a
   * valid token. At least the expiry job's 30 s period plus a few attempt timeouts.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(60)
  @Max(86_400)
  PUSH_ACCESS_TOKEN_END_LEAD_S = 300;

  /** After a signing key rotation, hours during which deliveries carry the old key's signature too. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(720)
  PUSH_SIGNING_KEY_OVERLAP_HOURS = 24;

  /**
   * `camara` operators: how often each subscribed number's retrieve-date is asked, in seconds on
   * average (each next poll is jittered uniformly over 0.5–1.5 times this, to spread the load).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(86_400)
  PUSH_CAMARA_POLL_INTERVAL_S = 300;

  /** Most retrieve-date polls one tick (every 10 s) makes to one operator; the rest wait for the next ticks. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(10_000)
  PUSH_CAMARA_POLL_MAX_PER_TICK = 50;

  /**
   * Public base URL under which operators reach this gateway's receiver of their CAMARA
   * notifications (`{this}/sim-swap-subscriptions/v0.3/upstream-notifications/{id}`). Unset: no
   * operator is subscribed to upstream, every `camara` operator is polled.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    message: 'must be an http(s) URL without query or fragment',
  })
  PUSH_UPSTREAM_RECEIVER_URL?: string;

  /** Lifetime of the access token the gateway gives an operator for its notifications (sinkCredential), in days. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(3_650)
  PUSH_UPSTREAM_TOKEN_TTL_DAYS = 90;
  // ─── end Push ───

  // ─── Audit (issue 4) ───

  /** How long the audit writer collects concurrent events before writing them in one INSERT. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(50)
  AUDIT_BATCH_WINDOW_MS = 1;

  /** Most events written in one INSERT. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(2_000)
  AUDIT_BATCH_MAX_EVENTS = 250;

  /** Monthly audit partitions created ahead of the current month. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(24)
  AUDIT_PARTITIONS_AHEAD_MONTHS = 3;

  // ─── end Audit ───

  // ─── Console (issue 14) ───
  /** A console session ends after this long without a request. */
  @Transform(toInteger)
  @IsInt()
  @Min(60)
  @Max(86_400)
  CONSOLE_SESSION_IDLE_SECONDS = 900;

  /** A console session ends this long after sign-in, however active (absolute timeout). */
  @Transform(toInteger)
  @IsInt()
  @Min(300)
  @Max(7 * 86_400)
  CONSOLE_SESSION_ABSOLUTE_SECONDS = 28_800;

  /** Failed sign-ins in a row that lock a console account. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100)
  CONSOLE_LOCKOUT_THRESHOLD = 5;

  /** How long a locked console account refuses every sign-in. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(86_400)
  CONSOLE_LOCKOUT_SECONDS = 900;

  /** Lifetime of a console invitation link. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(720)
  CONSOLE_INVITATION_TTL_HOURS = 72;

  /** Mark the session cookie `Secure` (and name it `__Host-…`); unset: on in production only. */
  @Transform(toBoolean)
  @IsOptional()
  @IsBoolean()
  CONSOLE_COOKIE_SECURE?: boolean;

  /** Public address of the gateway, used by the CLI to print complete invitation links. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'must be an http(s) URL' })
  CONSOLE_PUBLIC_URL?: string;
  // ─── end Console ───

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  /** The deadline and breaker settings of one family of outbound calls: new names first, then that family's alias. */
  outboundSettings(family: OutboundFamily): OutboundSettings {
    const aliases = OUTBOUND_ALIASES[family];
    const read = (name: OutboundVariable): number =>
      this[name] ??
      (aliases[name] === undefined ? undefined : this[aliases[name]]) ??
      OUTBOUND_DEFAULTS[name];
    return {
      deadlineMs: read('OPERATOR_DEADLINE_MS'),
      breakerVolumeThreshold: read('OPERATOR_BREAKER_VOLUME_THRESHOLD'),
      breakerErrorPercent: read('OPERATOR_BREAKER_ERROR_PERCENT'),
      breakerResetMs: read('OPERATOR_BREAKER_RESET_MS'),
    };
  }

  /** The deprecated variables that are set, each with the one that replaces it, for a warning at boot. */
  deprecatedVariables(): {
    name: DeprecatedVariable;
    replacement: OutboundVariable;
    ignored: boolean;
  }[] {
    return Object.values(OUTBOUND_ALIASES).flatMap((aliases) =>
      (Object.entries(aliases) as [OutboundVariable, DeprecatedVariable][])
        .filter(([, old]) => this[old] !== undefined)
        .map(([replacement, name]) => ({
          name,
          replacement,
          ignored: this[replacement] !== undefined,
        })),
    );
  }

  get usesEmbeddedDatabase(): boolean {
    return this.DATABASE_URL === undefined;
  }

  /** A developer's machine on the on-disk embedded database: where the sandbox bootstraps itself. */
  get isDeveloperSandbox(): boolean {
    return (
      this.NODE_ENV === 'development' &&
      this.usesEmbeddedDatabase &&
      this.EMBEDDED_DATA_DIR !== 'memory://'
    );
  }
}

/**
 * Names and messages of the variables that failed, so an operator sees what to fix: one line
 * (start-up failures are read in process supervisors and container logs, line by line).
 */
export class EnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
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
        (error) => `${error.property}: ${Object.values(error.constraints ?? {}).join(', ')}`,
      ),
    );
  }
  if (
    environment.isProduction &&
    environment.usesEmbeddedDatabase &&
    !environment.ALLOW_EMBEDDED_IN_PRODUCTION
  ) {
    throw new EnvironmentError([
      'DATABASE_URL: required when NODE_ENV=production (the embedded database serves one process and is for development); set DATABASE_URL=postgresql://…, or ALLOW_EMBEDDED_IN_PRODUCTION=true to run on it anyway',
    ]);
  }
  return environment;
}
