import { Injectable } from '@nestjs/common';
import { SealedStore, type SealedRows } from '../../common/crypto/sealed-store.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import type { Tx } from '../../common/database/prisma.service.js';
import { resealColumns, type SealedColumns } from '../../common/database/sealed-columns.js';

// Sealed stores of this module for the re-seal job (modules/secrets): a key-encryption key can be
// retired only once every table sealed under it has been re-sealed.

const PUSH_UPSTREAM_SUBSCRIPTION: SealedColumns = {
  table: 'push_upstream_subscription',
  columns: [
    { sealed: 'phone_sealed', version: 'phone_key_version' },
    { sealed: 'token_sealed', version: 'token_key_version' },
  ],
};

/** Upstream subscriptions' phone numbers and the bearer tokens operators present to the receiver. */
@Injectable()
@SealedStore('push_upstream_subscription')
export class SealedUpstreamSubscriptions implements SealedRows {
  constructor(private readonly box: SecretBox) {}

  resealStale(tx: Tx): Promise<number> {
    return resealColumns(tx, this.box, PUSH_UPSTREAM_SUBSCRIPTION);
  }
}
