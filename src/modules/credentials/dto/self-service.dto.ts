import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** Body of both self-service rotation endpoints: the client secret proves who asks. */
export class RotateApiKeyDto {
  @ApiProperty({ description: 'The client secret (mig_secret_…), issued with the client.' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  secretKey!: string;
}
