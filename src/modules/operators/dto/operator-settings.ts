import { plainToInstance } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  validateSync,
  type ValidationError,
} from 'class-validator';
/** The kinds of operator adapter; each has its own settings below. */
export type OperatorAdapterKind = 'sandbox' | 'upstream' | 'camara';

// http(s) only, and parsable: an operator's address comes from an admin, not from a user.
const HTTP_URL = /^https?:\/\/[^\s]+$/;
const isHttpUrl = (value: unknown): boolean =>
  typeof value === 'string' && HTTP_URL.test(value) && URL.canParse(value);

/** `settings` of a sandbox operator: how a sandbox operator that stands for a broken network behaves. */
export class SandboxSettings {
  @IsOptional()
  @IsIn(['fail', 'slow'], { message: 'settings.sandboxBehaviour must be fail or slow' })
  sandboxBehaviour?: 'fail' | 'slow';
}

/** `settings` of an Authmatech-compatible upstream; its API key is an operator secret (`apiKey`). */
class UpstreamSettings {
  @Matches(HTTP_URL, { message: 'an upstream operator needs settings.baseUrl, an http(s) URL' })
  baseUrl!: string;

  @IsString({
    message: 'an upstream operator needs settings.clientId, its client id at the upstream',
  })
  @Length(1, 100, {
    message: 'an upstream operator needs settings.clientId, its client id at the upstream',
  })
  clientId!: string;

  /** The operator id the upstream knows; default: the id the caller sent. */
  @IsOptional()
  @IsString({ message: 'settings.upstreamOperatorId must be a string of 1-100 characters' })
  @Length(1, 100, { message: 'settings.upstreamOperatorId must be a string of 1-100 characters' })
  upstreamOperatorId?: string;
}

/** `settings` of an operator with its own CAMARA API; its OAuth client secret is an operator secret (`clientSecret`). */
export class CamaraSettings {
  /** Under which the operator serves `sim-swap/v2/…` and `device-swap/v1/…`. */
  @Matches(HTTP_URL, { message: 'a CAMARA operator needs settings.baseUrl, an http(s) URL' })
  baseUrl!: string;

  /** OAuth2 token endpoint (client-credentials grant). */
  @Matches(HTTP_URL, { message: 'a CAMARA operator needs settings.tokenUrl, an http(s) URL' })
  tokenUrl!: string;

  @IsString({ message: 'a CAMARA operator needs settings.clientId, its OAuth client id' })
  @Length(1, 200, { message: 'a CAMARA operator needs settings.clientId, its OAuth client id' })
  clientId!: string;

  @IsOptional()
  @IsString({ message: 'settings.scope must be a string of at most 1000 characters' })
  @Length(0, 1000, { message: 'settings.scope must be a string of at most 1000 characters' })
  scope?: string;

  /** The operator offers CAMARA SIM Swap Subscriptions 0.3 under `baseUrl` (README "Where events come from"). */
  @IsOptional()
  @IsBoolean({ message: 'settings.simSwapSubscriptions must be true or false' })
  simSwapSubscriptions?: boolean;
}

/** What `settings` holds, per adapter kind. */
export interface OperatorSettingsByKind {
  sandbox: SandboxSettings;
  upstream: UpstreamSettings;
  camara: CamaraSettings;
}

const SETTINGS_CLASSES: { [K in OperatorAdapterKind]: new () => OperatorSettingsByKind[K] } = {
  sandbox: SandboxSettings,
  upstream: UpstreamSettings,
  camara: CamaraSettings,
};

function firstProblem(errors: ValidationError[]): string {
  const [error] = errors;
  // Names the field, never its value (a mistaken value may be a secret).
  if (error.constraints?.whitelistValidation)
    return `settings.${error.property} is not a setting of this adapter`;
  return Object.values(error.constraints ?? {})[0] ?? `settings.${error.property} is invalid`;
}

/**
 * The settings as their adapter kind types them, or why they are not (a message naming the field).
 * Writes refuse keys the kind does not define; reads (`unknownKeys: 'ignore'`) skip them, so a
 * row stored before settings were typed still works.
 */
export function parseOperatorSettings<K extends OperatorAdapterKind>(
  kind: K,
  raw: Record<string, unknown>,
  { unknownKeys = 'refuse' }: { unknownKeys?: 'refuse' | 'ignore' } = {},
): { settings: OperatorSettingsByKind[K] } | { problem: string } {
  const settings: OperatorSettingsByKind[K] = plainToInstance(SETTINGS_CLASSES[kind], raw);
  const errors = validateSync(settings, {
    whitelist: true,
    forbidNonWhitelisted: unknownKeys === 'refuse',
  });
  if (errors.length > 0) return { problem: firstProblem(errors) };
  for (const field of ['baseUrl', 'tokenUrl'] as const) {
    const value = (settings as Record<string, unknown>)[field];
    if (value !== undefined && !isHttpUrl(value))
      return { problem: `settings.${field} is not a valid URL` };
  }
  return { settings };
}
