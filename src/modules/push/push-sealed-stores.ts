import { Injectable } from '@nestjs/common';
import { SealedStore, type SealedRows } from '../../common/crypto/sealed-store.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import type { Tx } from '../../common/database/prisma.service.js';
import { resealColumns, type SealedColumns } from '../../common/database/sealed-columns.js';

// Sealed stores of this module for the re-seal job (modules/secrets): a key-encryption key can be
// retired only once every table sealed under it has been re-sealed.

const PUSH_SUBSCRIPTION: SealedColumns = {
  table: 'push_subscription',
  columns: [
    { sealed: 'phone_sealed', version: 'phone_key_version' },
    { sealed: 'credential_sealed', version: 'credential_key_version' },
  ],
};

/** Subscriptions' phone numbers (the CloudEvent's data) and sink access tokens. */
@Injectable()
@SealedStore('push_subscription')
export class SealedPushSubscriptions implements SealedRows {
  constructor(private readonly box: SecretBox) {}

  resealStale(tx: Tx): Promise<number> {
    return resealColumns(tx, this.box, PUSH_SUBSCRIPTION);
  }
}

const PUSH_SIGNING_KEY: SealedColumns = {
  table: 'push_signing_key',
  columns: [{ sealed: 'secret_sealed', version: 'secret_key_version' }],
};

/** Clients' webhook signing secrets. */
@Injectable()
@SealedStore('push_signing_key')
export class SealedPushSigningKeys implements SealedRows {
  constructor(private readonly box: SecretBox) {}

  resealStale(tx: Tx): Promise<number> {
    return resealColumns(tx, this.box, PUSH_SIGNING_KEY);
  }
}
