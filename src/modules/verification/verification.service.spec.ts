import { jest } from '@jest/globals';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { ApiError } from '../../common/errors/api-error.js';
import type { RequestContext } from '../../common/http/request-context.js';
import type { RequestAudit, RequestUnit } from '../audit/request-audit.service.js';
import type { OperatorsService } from '../operators/operators.service.js';
import type { OutboundClient } from '../../common/outbound/outbound-client.js';
import { SandboxVerificationAdapter } from './adapters/sandbox-verification.adapter.js';
import type { UpstreamVerificationAdapter } from './adapters/upstream-verification.adapter.js';
import type { VerifyInput } from './adapters/verification-adapter.js';
import type { BalanceService } from './balance.service.js';
import { NotAProofError, type OpenedProof, type ProofClaims } from './proof-codec.js';
import type { ProofService } from './proof.service.js';
import type { VerificationRepository } from './verification.repository.js';
import { VerificationService } from './verification.service.js';

// The order of the verify checks, with every collaborator faked (no database, no operator): when
// several refusals apply, which one the caller gets, and whether the proof is spent with it.

const NOW = new Date('2026-12-06T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const JTI = '0b7a2c4e-1d2f-4a6b-9c8d-7e6f5a4b3c2d';

const CLIENT: AuthenticatedClient = {
  kind: 'client',
  clientId: 'cli_caller',
  environment: 'LIVE',
  products: ['VERIFY'],
  credential: { kind: 'api_key', id: 'cred_1', fingerprint: '0123456789abcdef' },
};

const INPUT: VerifyInput = {
  mobileNumber: '+971501234567',
  encryptedMobileNumber: 'a.b.c.d.e',
  operatorId: 'op_sandbox',
  serviceType: 'LOGIN',
  sdkSessionId: 'sess_1',
};

/** Claims that pass every check for CLIENT and INPUT. */
const GOOD: ProofClaims = {
  jti: JTI,
  number: INPUT.mobileNumber,
  operator: 'op_sandbox',
  clientId: CLIENT.clientId,
  sessionId: 'sess_1',
  iat: NOW_S - 60,
  exp: NOW_S + 60,
};

/** Claims that fail every check the service makes, each breaking its own rule. */
const BROKEN: Record<string, Partial<ProofClaims>> = {
  PROOF_INVALID: { jti: 'not-a-uuid' },
  PROOF_NOT_ISSUED_TO_CLIENT: { clientId: 'cli_other' },
  PROOF_EXPIRED: { exp: NOW_S },
  OPERATOR_MISMATCH: { operator: 'op_other' },
  SESSION_MISMATCH: { sessionId: 'sess_other' },
  NUMBER_MISMATCH: { number: '+971509999999' },
};
/** The order the service must check them in: the first that applies wins. */
const ORDER = [
  'PROOF_INVALID',
  'PROOF_NOT_ISSUED_TO_CLIENT',
  'PROOF_EXPIRED',
  'OPERATOR_MISMATCH',
  'SESSION_MISMATCH',
  'NUMBER_MISMATCH',
];

function service(
  options: {
    opened?: OpenedProof | Error;
    operator?: { id: string; adapterKind: string } | null;
    outcome?: string;
  } = {},
) {
  const commits: RequestUnit[] = [];
  const open = jest.fn(() =>
    options.opened instanceof Error
      ? Promise.reject(options.opened)
      : Promise.resolve(options.opened ?? { kind: 'valid', claims: GOOD }),
  );
  const findById = jest.fn(() =>
    Promise.resolve(
      options.operator === undefined
        ? { id: 'op_sandbox', adapterKind: 'sandbox' }
        : options.operator,
    ),
  );
  // The sandbox operator's exchange: it identifies the number (the leg itself is not under test).
  const sandbox = jest.fn(() => Promise.resolve('identified'));
  const outbound = {
    withDeadline: sandbox,
    settings: () => ({ deadlineMs: 2_000 }),
    recorder: () => ({ attempt: () => ({ end: () => undefined }) }),
  } as unknown as OutboundClient;
  const fakes = {
    operators: { findById } as unknown as OperatorsService,
    proofs: { open } as unknown as ProofService,
    balances: {
      debitOf: (client: AuthenticatedClient, kind: string) => ({
        clientId: client.clientId,
        ledgerKind: kind,
      }),
      hasCredit: jest.fn(),
    } as unknown as BalanceService,
    repository: {} as VerificationRepository,
    requests: {
      commit: jest.fn((_ctx: RequestContext, unit: RequestUnit) => {
        commits.push(unit);
        return Promise.resolve(options.outcome ?? 'ok');
      }),
    } as unknown as RequestAudit,
    clock: { now: () => NOW },
  };
  const adapters = {
    sandbox: new SandboxVerificationAdapter(outbound, fakes.proofs, fakes.clock),
    upstream: { verify: jest.fn() } as unknown as UpstreamVerificationAdapter,
  };
  const instance = new VerificationService(
    fakes.operators,
    adapters,
    fakes.balances,
    fakes.repository,
    fakes.requests,
  );
  const ctx = { audit: {}, correlationId: 'corr-1' } as unknown as RequestContext;
  const verify = (masked = false, client = CLIENT) => instance.verify(ctx, client, INPUT, masked);
  return { verify, commits, open, findById, sandbox };
}

const opened = (claims: Partial<ProofClaims>): OpenedProof => ({
  kind: 'valid',
  claims: { ...GOOD, ...claims },
});

/** The Authmatech error code the call was refused with (the verify endpoint's contract). */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error.codeFor('authmatech');
}

describe('VerificationService: the order of the verify checks', () => {
  it('accepts a proof that passes every check, and spends it', async () => {
    const { verify, commits } = service();
    await expect(verify()).resolves.toEqual({ validNumber: true });
    expect(commits[0].claims?.proof).toEqual({ jti: JTI, clientId: CLIENT.clientId });
  });

  it.each(ORDER.map((reason, index) => [reason, index] as const))(
    'answers %s when it and every later check fail',
    async (reason, index) => {
      const claims = Object.assign(
        {},
        ...ORDER.slice(index).map((name) => BROKEN[name]),
      ) as Partial<ProofClaims>;
      const { verify } = service({ opened: opened(claims) });
      await expect(verify()).resolves.toMatchObject({ validNumber: false, reason });
    },
  );

  it.each(ORDER)('answers %s when only that check fails', async (reason) => {
    const { verify } = service({ opened: opened(BROKEN[reason]) });
    await expect(verify()).resolves.toMatchObject({ validNumber: false, reason });
  });

  it('answers PROOF_INVALID for a proof no current key opens, whatever else it would fail', async () => {
    const { verify, commits } = service({ opened: { kind: 'undecryptable' } });
    await expect(verify()).resolves.toMatchObject({ validNumber: false, reason: 'PROOF_INVALID' });
    expect(commits[0].claims?.proof).toBeUndefined();
  });

  it('spends the proof only once it is known to be valid, this client’s, unexpired and for this operator and session: a wrong number spends it', async () => {
    for (const reason of ORDER.slice(0, -1)) {
      const { verify, commits } = service({ opened: opened(BROKEN[reason]) });
      await verify();
      expect({ reason, spent: commits[0].claims?.proof }).toEqual({ reason, spent: undefined });
    }
    const { verify, commits } = service({ opened: opened(BROKEN.NUMBER_MISMATCH) });
    await verify();
    expect(commits[0].claims?.proof).toEqual({ jti: JTI, clientId: CLIENT.clientId });
  });

  it('treats a proof as expired at its exp second, and valid one second before', async () => {
    await expect(service({ opened: opened({ exp: NOW_S }) }).verify()).resolves.toMatchObject({
      reason: 'PROOF_EXPIRED',
    });
    await expect(service({ opened: opened({ exp: NOW_S + 1 }) }).verify()).resolves.toEqual({
      validNumber: true,
    });
  });

  it('refuses the masked variant without VERIFY_MASKED before looking up the operator or opening the proof', async () => {
    const { verify, findById, open } = service({ operator: null, opened: new NotAProofError() });
    await expect(refusal(verify(true))).resolves.toBe('PRODUCT_NOT_ENABLED');
    expect(findById).not.toHaveBeenCalled();
    expect(open).not.toHaveBeenCalled();
  });

  it('refuses an unknown operator (or a CAMARA one) before opening the proof', async () => {
    for (const operator of [null, { id: 'op_camara', adapterKind: 'camara' }]) {
      const { verify, open } = service({ operator, opened: new NotAProofError() });
      await expect(refusal(verify())).resolves.toBe('INVALID_OPERATOR');
      expect(open).not.toHaveBeenCalled();
    }
  });

  it('refuses a value that is not a proof at all with a 400, before asking the operator', async () => {
    const { verify, sandbox } = service({ opened: new NotAProofError() });
    await expect(refusal(verify())).resolves.toBe('INVALID_ENCRYPTED_MOBILE_NUMBER');
    expect(sandbox).not.toHaveBeenCalled();
  });

  it('answers PROOF_ALREADY_USED when the unit of work finds the proof spent, and refuses when it finds no credit', async () => {
    await expect(service({ outcome: 'proof_spent' }).verify()).resolves.toMatchObject({
      validNumber: false,
      reason: 'PROOF_ALREADY_USED',
    });
    await expect(refusal(service({ outcome: 'no_credit' }).verify())).resolves.toBe(
      'INSUFFICIENT_BALANCE',
    );
  });
});
