import { Injectable } from '@nestjs/common';
import { ProofKeysService } from './proof-keys.service.js';
import { ProofCodec } from './proof-codec.js';

/** The proof codec on the Credentials module's proof keys (rolled by its job). */
@Injectable()
export class ProofService extends ProofCodec {
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor -- it declares ProofKeysService as the parameter type, which Nest's injection reads from this class's metadata
  constructor(keys: ProofKeysService) {
    super(keys);
  }
}
