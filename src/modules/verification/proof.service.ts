import { Injectable } from '@nestjs/common';
import { ProofKeysService } from './proof-keys.service.js';
import { ProofCodec } from './proof-codec.js';

/** The proof codec on the Credentials module's proof keys (rolled by its job). */
@Injectable()
export class ProofService extends ProofCodec {
  constructor(keys: ProofKeysService) {
    super(keys);
  }
}
