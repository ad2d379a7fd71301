#!/usr/bin/env node
// The Demo Bank's backend, a sample integration of the Mobile Identity Gateway. It holds the API
// key and never hands it out. The page gets a short-lived SDK token instead; the backend verifies
// the proof the page brings back and checks the number for a recent SIM swap. Flows live in memory:
// a real backend keeps them with the user's session.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { SignJWT } from 'jose';

const HERE = new URL('.', import.meta.url);
/** The sandbox operators by number prefix (a real bank asks its own routing, or the user). */
const OPERATORS = [
  ['+96279', 'ZAIN_JO'],
  ['+96277', 'ORANGE_JO'],
  ['+96278', 'UMNIAH_JO'],
];
const E164 = /^\+[1-9]\d{6,14}$/;
const FLOW_TTL_MS = 10 * 60_000;
const SIM_SWAP_MAX_AGE_HOURS = 240;
const GATEWAY_TIMEOUT_MS = 8_000;

/** Configuration from the environment; credentials from BANK_* or from the sandbox credentials file. */
export function loadConfig(env = process.env) {
  const gatewayUrl = (env.GATEWAY_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  const publicUrl = (env.GATEWAY_PUBLIC_URL ?? gatewayUrl).replace(/\/+$/, '');
  const credentialsFile =
    env.BANK_CREDENTIALS_FILE ?? new URL('../../.data/sandbox-credentials.json', HERE).pathname;
  let credentials;
  if (env.BANK_CLIENT_ID && env.BANK_API_KEY) {
    credentials = {
      clientId: env.BANK_CLIENT_ID,
      apiKey: env.BANK_API_KEY,
      jwtKeyId: env.BANK_JWT_KEY_ID,
      jwtSecret: env.BANK_JWT_SECRET,
    };
  } else {
    try {
      credentials = JSON.parse(readFileSync(credentialsFile, 'utf8'));
    } catch {
      throw new Error(
        `No credentials: set BANK_CLIENT_ID and BANK_API_KEY, or start the gateway once (npm start) so it writes ${credentialsFile}.`,
      );
    }
  }
  return {
    port: Number(env.PORT ?? 4000),
    host: env.HOST ?? 'localhost',
    gatewayUrl,
    publicUrl,
    // Enrichment is plain HTTP on a host the operator enriches; in the sandbox, the gateway itself.
    heUrl: (env.GATEWAY_HE_URL ?? publicUrl).replace(/\/+$/, ''),
    credentials,
    sdkFile: env.SDK_FILE ?? new URL('../../sdk/web/dist/index.js', HERE).pathname,
  };
}

/** "+962791234567" → "+9627…67": enough for the user to recognise, too little to leak. */
export function maskForDisplay(number) {
  return `${number.slice(0, 5)}…${number.slice(-2)}`;
}

async function gateway(config, method, path, { headers = {}, body } = {}) {
  const response = await fetch(`${config.gatewayUrl}${path}`, {
    method,
    headers: { ...headers, ...(body && { 'content-type': 'application/json' }) },
    body: body && JSON.stringify(body),
    signal: AbortSignal.timeout(GATEWAY_TIMEOUT_MS),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

const apiKeyHeaders = (config) => ({
  'x-client-id': config.credentials.clientId,
  'x-api-key': config.credentials.apiKey,
});

class BankError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function mintSdkToken(config) {
  const answer = await gateway(config, 'POST', '/v1/api/sdk/token', {
    headers: apiKeyHeaders(config),
  });
  if (answer.status !== 200) throw new BankError(502, 'The gateway did not issue an SDK token.');
  return answer.body.data.sdkToken;
}

async function verifyWithGateway(config, flow, proof) {
  const answer =
    flow.variant === 'web'
      ? await gateway(config, 'POST', `/v1/api/verify/${flow.id}`, {
          headers: apiKeyHeaders(config),
          body: { mobileNumber: flow.mobileNumber, serviceType: 'LOGIN' },
        })
      : await gateway(config, 'POST', '/v1/api/verify', {
          headers: apiKeyHeaders(config),
          body: {
            mobileNumber: flow.mobileNumber,
            encryptedMobileNumber: proof.authmatechCode,
            operatorId: flow.operatorId,
            serviceType: 'LOGIN',
            sdkSessionId: proof.sdkSessionId,
          },
        });
  if (answer.status === 200)
    return {
      validNumber: answer.body.data.validNumber === true,
      reason: answer.body.messages?.[0]?.code,
    };
  if (answer.status === 400 || answer.status === 404)
    return { validNumber: false, reason: answer.body?.messages?.[0]?.code ?? 'REFUSED' };
  throw new BankError(502, 'The gateway could not verify the number right now.');
}

/**
 * CAMARA SIM Swap check, with a self-signed HS256 JWT as the gateway documents. CAMARA's body has
 * no field for an SDK session, so the check carries the verification's sdkSessionId as its
 * x-correlator (a UUID fits CAMARA's pattern): its audit event then names the session as its
 * correlation id.
 */
async function simSwapCheck(config, phoneNumber, sdkSessionId) {
  const { jwtKeyId, jwtSecret } = config.credentials;
  if (!jwtKeyId || !jwtSecret) return { unavailable: 'NO_JWT_KEY' };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: jwtKeyId })
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 60)
    .sign(new TextEncoder().encode(jwtSecret));
  const answer = await gateway(config, 'POST', '/sim-swap/v2/check', {
    headers: { authorization: `Bearer ${token}`, 'x-correlator': sdkSessionId },
    body: { phoneNumber, maxAge: SIM_SWAP_MAX_AGE_HOURS },
  });
  if (answer.status === 200)
    return { swapped: answer.body.swapped, maxAgeHours: SIM_SWAP_MAX_AGE_HOURS };
  return { unavailable: answer.body?.code ?? String(answer.status) };
}

function securityHeaders(config) {
  const gatewayOrigins = [
    ...new Set([new URL(config.publicUrl).origin, new URL(config.heUrl).origin]),
  ].join(' ');
  return {
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ${gatewayOrigins}; frame-src ${new URL(config.heUrl).origin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  };
}

export async function startBankServer(config = loadConfig()) {
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 });
  /** Flows the page started, by id (for the web variant, the transaction id); each verifies once. */
  const flows = new Map();
  const files = {
    '/': ['text/html; charset=utf-8', new URL('public/index.html', HERE)],
    '/app.mjs': ['text/javascript; charset=utf-8', new URL('public/app.mjs', HERE)],
    '/style.css': ['text/css; charset=utf-8', new URL('public/style.css', HERE)],
    '/sdk.mjs': ['text/javascript; charset=utf-8', pathToFileURL(config.sdkFile)],
  };
  for (const [path, [type, file]] of Object.entries(files)) {
    app.get(path, (_request, reply) =>
      reply.headers(securityHeaders(config)).type(type).send(readFileSync(file)),
    );
  }

  app.setErrorHandler((error, _request, reply) => {
    const status = error instanceof BankError ? error.status : error.statusCode === 400 ? 400 : 502;
    reply.status(status).send({
      message:
        error instanceof BankError || status === 400
          ? error.message
          : 'The bank could not reach the gateway.',
    });
  });

  app.post('/api/start', async (request) => {
    const { mobileNumber, variant } = request.body ?? {};
    if (typeof mobileNumber !== 'string' || !E164.test(mobileNumber))
      throw new BankError(400, 'Enter your number in international format, e.g. +962791234567.');
    const operatorId = OPERATORS.find(([prefix]) => mobileNumber.startsWith(prefix))?.[1];
    if (!operatorId)
      throw new BankError(
        400,
        'Demo Bank knows the sandbox operators of Jordan only (+96277, +96278, +96279).',
      );
    const flow = {
      id: randomUUID(),
      mobileNumber,
      operatorId,
      variant: variant === 'web' ? 'web' : 'sdk',
      expiresAt: Date.now() + FLOW_TTL_MS,
    };
    const sdkToken = await mintSdkToken(config);
    for (const [id, old] of flows) if (old.expiresAt < Date.now()) flows.delete(id);
    flows.set(flow.id, flow);
    return {
      flowId: flow.id,
      clientId: config.credentials.clientId,
      sdkToken,
      backendBaseURL: config.publicUrl,
      heUrl: `${config.heUrl}/v1/he/${operatorId}`,
      ...(flow.variant === 'web' && {
        transactionId: flow.id,
        checkUrl: `${config.heUrl}/v1/he/${operatorId}/check`,
      }),
    };
  });

  app.post('/api/verify', async (request) => {
    const { flowId, authmatechCode, sdkSessionId } = request.body ?? {};
    const flow = flows.get(flowId);
    // Single use: a replayed or unknown flow is refused before the gateway is asked.
    flows.delete(flowId);
    if (!flow || flow.expiresAt < Date.now())
      throw new BankError(400, 'This verification has expired or was already used; start again.');
    if (
      flow.variant === 'sdk' &&
      (typeof authmatechCode !== 'string' || typeof sdkSessionId !== 'string')
    )
      throw new BankError(400, 'The proof is missing.');
    const verdict = await verifyWithGateway(config, flow, { authmatechCode, sdkSessionId });
    if (!verdict.validNumber) return { verified: false, reason: verdict.reason ?? 'NOT_VERIFIED' };
    // The web variant's session is its transaction id (the gateway keeps it lower case).
    const session = flow.variant === 'web' ? flow.id.toLowerCase() : sdkSessionId;
    return {
      verified: true,
      maskedNumber: maskForDisplay(flow.mobileNumber),
      simSwap: await simSwapCheck(config, flow.mobileNumber, session),
    };
  });

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const host =
    config.host === 'localhost'
      ? 'localhost'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
  const url = `http://${host}:${address.port}`;
  return { url, close: () => app.close() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  startBankServer()
    .then(({ url }) => console.log(`Demo Bank listening on ${url}`))
    .catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
