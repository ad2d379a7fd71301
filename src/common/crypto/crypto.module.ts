import { Global, Module } from '@nestjs/common';
import { Environment } from '../config/environment.js';
import { SecretBox } from './secret-box.js';
import { loadServerSecrets, ServerSecrets } from './server-secrets.js';

/**
 * The server's own secrets (peppers, key-encryption keys) and the box that seals with them, for
 * every module: global like the database, since nearly every module keeps something sealed or
 * keyed-hashed, and none of them owns the keys.
 */
@Global()
@Module({
  providers: [
    { provide: ServerSecrets, inject: [Environment], useFactory: loadServerSecrets },
    SecretBox,
  ],
  exports: [ServerSecrets, SecretBox],
})
export class CryptoModule {}
