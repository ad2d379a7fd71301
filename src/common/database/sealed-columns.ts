import type { SecretBox } from '../crypto/secret-box.js';
import type { Tx } from './prisma.service.js';

/**
 * Where a table keeps values sealed with SecretBox: each sealed column with the column naming the
 * key-encryption-key version it was sealed under. Names are the module's own constants (never
 * input), so they are written into the statements as identifiers.
 */
export interface SealedColumns {
  table: string;
  columns: readonly { sealed: string; version: string }[];
}

const identifier = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a column or table name: ${name}`);
  return `"${name}"`;
};

/**
 * Re-seals, inside `tx`, every value of `spec` sealed under another key version than the current
 * one, and returns how many values it changed. Rows are locked as they are read (FOR UPDATE), so a
 * concurrent writer waits rather than overwriting a value with one sealed under a retired key.
 * (Each column is a pass of its own: a row updated by the first pass is read again by the next.)
 * A table with several sealed columns counts each re-sealed value.
 */
export async function resealColumns(tx: Tx, box: SecretBox, spec: SealedColumns): Promise<number> {
  const table = identifier(spec.table);
  const current = box.currentKeyVersion;
  let count = 0;
  for (const column of spec.columns) {
    const sealed = identifier(column.sealed);
    const version = identifier(column.version);
    const rows = await tx.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT ctid::text AS row_ctid, ${sealed} AS ciphertext, ${version} AS key_version
         FROM ${table} WHERE ${sealed} IS NOT NULL AND ${version} <> $1 FOR UPDATE`,
      current,
    );
    for (const row of rows) {
      const resealed = box.seal(
        box.open({ ciphertext: String(row.ciphertext), keyVersion: Number(row.key_version) }),
      );
      // The row's physical address: it stays put while the row is locked by this transaction,
      // and finds the row whatever the table's key is.
      await tx.$executeRawUnsafe(
        `UPDATE ${table} SET ${sealed} = $1, ${version} = $2 WHERE ctid = $3::tid`,
        resealed.ciphertext,
        resealed.keyVersion,
        String(row.row_ctid),
      );
      count += 1;
    }
  }
  return count;
}
