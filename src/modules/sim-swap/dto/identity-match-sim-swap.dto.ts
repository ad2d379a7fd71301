import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches } from 'class-validator';
import type { IdentityMatchServiceType } from '../sim-swap.service.js';
import { CAMARA_PHONE_NUMBER } from '../../../common/phone/phone-number.js';

const SERVICE_TYPES: IdentityMatchServiceType[] = ['timestamp', '24h', 'range'];

export class IdentityMatchSimSwapRequestDto {
  @ApiProperty({ example: '+31612345001', pattern: CAMARA_PHONE_NUMBER.source })
  @IsString()
  @Matches(CAMARA_PHONE_NUMBER, { message: 'phoneNumber must be in E.164 format with a leading +' })
  phoneNumber!: string;

  @ApiProperty({ enum: SERVICE_TYPES })
  @IsIn(SERVICE_TYPES, { message: 'serviceType must be one of timestamp, 24h, range' })
  serviceType!: IdentityMatchServiceType;
}
