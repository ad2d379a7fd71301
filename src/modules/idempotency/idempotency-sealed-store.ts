import { Injectable } from '@nestjs/common';
import { SealedStore, type SealedRows } from '../../common/crypto/sealed-store.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import type { Tx } from '../../common/database/prisma.service.js';
import { resealColumns, type SealedColumns } from '../../common/database/sealed-columns.js';

// Sealed stores of this module for the re-seal job (modules/secrets): a key-encryption key can be
// retired only once every table sealed under it has been re-sealed.

const IDEMPOTENCY_RESPONSE: SealedColumns = {
  table: 'idempotency_response',
  columns: [{ sealed: 'body_sealed', version: 'key_version' }],
};

/** Stored answers replayed to a repeated Idempotency-Key (kept until their keys expire). */
@Injectable()
@SealedStore('idempotency_response')
export class SealedIdempotencyResponses implements SealedRows {
  constructor(private readonly box: SecretBox) {}

  resealStale(tx: Tx): Promise<number> {
    return resealColumns(tx, this.box, IDEMPOTENCY_RESPONSE);
  }
}
