import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { AdminRole } from '../../../common/auth/auth.decorators.js';
import {
  CLIENT_PRODUCTS,
  type ClientEnvironment,
  type ClientProduct,
  type CredentialKind,
} from '../../../common/auth/caller.js';
import { PageOf } from '../../../common/openapi/api-docs.decorators.js';
import type {
  ClientStatusName,
  ClientView,
  CredentialView,
  IssuedCredential,
  RotationResult,
} from '../credential-views.js';

const CREDENTIAL_KINDS: CredentialKind[] = ['api_key', 'client_secret', 'jwt_key', 'admin_key'];

@ApiSchema({ name: 'Client' })
export class ClientDto implements ClientView {
  @ApiProperty()
  clientId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({
    enum: ['SANDBOX', 'LIVE'],
    description: 'SANDBOX clients use sandbox operators and are never charged.',
  })
  environment!: ClientEnvironment;

  @ApiProperty({ enum: CLIENT_PRODUCTS, isArray: true })
  products!: ClientProduct[];

  @ApiProperty({ enum: ['active', 'suspended'] })
  status!: ClientStatusName;

  @ApiProperty({ type: 'integer', minimum: 1 })
  rateLimitPerMinute!: number;

  @ApiProperty({
    type: [String],
    description:
      'Origins of the pages that may run the Web SDK with this client (README "Web SDK").',
    example: ['https://bank.example'],
  })
  allowedOrigins!: string[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

@ApiSchema({
  name: 'Credential',
  description: 'A credential as listings show it: never the secret, nor its hash.',
})
export class CredentialDto implements CredentialView {
  @ApiProperty({ format: 'uuid', description: 'For a JWT key, its kid.' })
  id!: string;

  @ApiProperty({ enum: CREDENTIAL_KINDS })
  kind!: CredentialKind;

  @ApiProperty({
    description: 'First 16 hex digits of the SHA-256 of the secret.',
    example: '3f2a9c0d11e4b6a7',
  })
  fingerprint!: string;

  @ApiProperty({ enum: ['active', 'expired', 'revoked'] })
  status!: 'active' | 'expired' | 'revoked';

  @ApiProperty({
    type: String,
    enum: ['admin', 'auditor', null],
    nullable: true,
    description: 'Admin keys only.',
  })
  role!: AdminRole | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'End of the grace period of a rotated credential.',
  })
  expiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  endedAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Written at most once a minute.',
  })
  lastUsedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The credential this one replaced.' })
  rotatedFromId!: string | null;
}

export class ClientSecretsDto {
  @ApiProperty({ description: 'X-API-KEY, shown once.' })
  apiKey!: string;

  @ApiProperty({ description: 'The client secret (self-service key rotation), shown once.' })
  clientSecret!: string;

  @ApiProperty({ format: 'uuid', description: 'The kid of the JWT key.' })
  jwtKeyId!: string;

  @ApiProperty({ description: 'The HS256 secret of the JWT key, shown once.' })
  jwtSecret!: string;
}

@ApiSchema({ name: 'CreatedClient' })
export class CreatedClientDto {
  @ApiProperty({ type: ClientDto })
  client!: ClientDto;

  @ApiProperty({ type: ClientSecretsDto })
  credentials!: ClientSecretsDto;
}

@ApiSchema({ name: 'IssuedCredential' })
export class IssuedCredentialDto implements IssuedCredential {
  @ApiProperty({ type: CredentialDto })
  credential!: CredentialDto;

  @ApiProperty({
    description:
      'The new secret, shown once (for a JWT key its HS256 secret; credential.id is the kid).',
  })
  secret!: string;
}

@ApiSchema({ name: 'RotationResult' })
export class RotationResultDto extends IssuedCredentialDto implements RotationResult {
  @ApiProperty({ format: 'date-time', description: 'When the replaced credential stops working.' })
  previousValidUntil!: string;
}

@ApiSchema({ name: 'RevokedCredential' })
export class RevokedCredentialDto {
  @ApiProperty({ type: CredentialDto })
  credential!: CredentialDto;
}

@ApiSchema({ name: 'CreatedAdminKey' })
export class CreatedAdminKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The admin key (`mig_admin_…`), shown once.' })
  key!: string;

  @ApiProperty({ enum: ['admin', 'auditor'] })
  role!: AdminRole;
}

@ApiSchema({ name: 'SdkTokenData' })
export class SdkTokenDataDto {
  @ApiProperty({ description: 'X-SDK-TOKEN for the device routes.' })
  sdkToken!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ type: 'integer', description: 'Seconds until expiresAt.' })
  expiresIn!: number;
}

@ApiSchema({ name: 'RotatedKeyData' })
export class RotatedKeyDataDto {
  @ApiProperty({ description: 'The new API key, shown once.' })
  newApiKey!: string;

  @ApiProperty()
  fingerprint!: string;

  @ApiProperty({ format: 'date-time', description: 'When the previous key stops working.' })
  previousKeyValidUntil!: string;
}

export const ClientPageDto = PageOf(ClientDto, 'ClientPage');
export const CredentialPageDto = PageOf(CredentialDto, 'CredentialPage');
