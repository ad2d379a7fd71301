import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

export const UPSTREAM_SWAPPED = 'org.camaraproject.sim-swap-subscriptions.v0.swapped';
export const UPSTREAM_ENDED = 'org.camaraproject.sim-swap-subscriptions.v0.subscription-ended';
/** The name pre-0.3 drafts gave the end event; taken as the same, so such an operator's end is not missed. */
export const UPSTREAM_ENDS_DRAFT = 'org.camaraproject.sim-swap-subscriptions.v0.subscription-ends';
export const TERMINATION_REASONS = [
  'MAX_EVENTS_REACHED',
  'NETWORK_TERMINATED',
  'SUBSCRIPTION_EXPIRED',
  'ACCESS_TOKEN_EXPIRED',
  'SUBSCRIPTION_DELETED',
] as const;

@ApiSchema({ name: 'UpstreamSwapNotificationData' })
class UpstreamNotificationDataDto {
  @ApiProperty({ description: "The operator's id of the gateway's subscription." })
  subscriptionId!: string;

  @ApiPropertyOptional({
    example: '+491711000001',
    description: "swapped: the number; when present it must be the subscription's.",
  })
  phoneNumber?: string;

  @ApiPropertyOptional({ enum: TERMINATION_REASONS, description: 'subscription-ended only.' })
  terminationReason?: string;

  @ApiPropertyOptional({ description: 'subscription-ended only.' })
  terminationDescription?: string;
}

/** For the document only: the handler validates the raw body itself, so CloudEvents extension attributes are accepted. */
@ApiSchema({
  name: 'UpstreamSwapNotification',
  description: 'A CAMARA SIM Swap Subscriptions 0.3 notification (CloudEvents 1.0).',
})
export class UpstreamNotificationDto {
  @ApiProperty({
    description:
      'Unique in the source: a repeat of an id is acknowledged (204) and changes nothing.',
    maxLength: 256,
  })
  id!: string;

  @ApiProperty({ example: 'https://notifications.operator.example' })
  source!: string;

  @ApiProperty({ enum: ['1.0'] })
  specversion!: string;

  @ApiProperty({ enum: [UPSTREAM_SWAPPED, UPSTREAM_ENDED, UPSTREAM_ENDS_DRAFT] })
  type!: string;

  @ApiProperty({ format: 'date-time', description: 'swapped: when the SIM was swapped.' })
  time!: string;

  @ApiPropertyOptional({ enum: ['application/json'] })
  datacontenttype?: string;

  @ApiProperty({ type: UpstreamNotificationDataDto })
  data!: UpstreamNotificationDataDto;
}
