import { Injectable } from '@nestjs/common';
import { SealedStore, type SealedRows } from '../../common/crypto/sealed-store.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import type { Tx } from '../../common/database/prisma.service.js';
import { resealColumns, type SealedColumns } from '../../common/database/sealed-columns.js';

// Sealed stores of this module for the re-seal job (modules/secrets): a key-encryption key can be
// retired only once every table sealed under it has been re-sealed.

const CONSOLE_USER: SealedColumns = {
  table: 'console_user',
  columns: [
    { sealed: 'totp_sealed', version: 'totp_key_version' },
    { sealed: 'totp_pending_sealed', version: 'totp_pending_key_version' },
  ],
};

/** Console users' TOTP secrets, enrolled and pending. */
@Injectable()
@SealedStore('console_user')
export class SealedConsoleUsers implements SealedRows {
  constructor(private readonly box: SecretBox) {}

  resealStale(tx: Tx): Promise<number> {
    return resealColumns(tx, this.box, CONSOLE_USER);
  }
}
