#!/usr/bin/env node
// Silent verification end to end against a running gateway: SDK token → header enrichment →
// SDK session → verify, printing each request and answer. Credentials come from
// DEMO_CLIENT_ID / DEMO_API_KEY, or from the sandbox client the gateway wrote on first start
// (.data/sandbox-credentials.json). The sandbox stands in for the mobile network with the
// X-Sandbox-Msisdn header, so it only works with a SANDBOX client.
/* global fetch */
import { readFileSync } from 'node:fs';

const baseUrl = (process.env.GATEWAY_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const number = process.env.DEMO_MSISDN ?? '+962791234567';
const operatorId = process.env.DEMO_OPERATOR ?? 'ZAIN_JO';
const credentialsFile = process.env.DEMO_CREDENTIALS_FILE ?? '.data/sandbox-credentials.json';

function credentials() {
  if (process.env.DEMO_CLIENT_ID && process.env.DEMO_API_KEY) {
    return { clientId: process.env.DEMO_CLIENT_ID, apiKey: process.env.DEMO_API_KEY };
  }
  try {
    const { clientId, apiKey } = JSON.parse(readFileSync(credentialsFile, 'utf8'));
    return { clientId, apiKey };
  } catch {
    console.error(
      `No credentials: set DEMO_CLIENT_ID and DEMO_API_KEY, or start the gateway once (npm start) so it writes ${credentialsFile}.`,
    );
    process.exit(2);
  }
}

const mask = (secret) => `${secret.slice(0, 8)}…`;

async function step(title, method, path, headers, body) {
  console.log(`\n── ${title}\n${method} ${baseUrl}${path}`);
  for (const [name, value] of Object.entries(headers)) {
    console.log(`  ${name}: ${/key|token/i.test(name) ? mask(value) : value}`);
  }
  if (body) console.log(`  ${JSON.stringify(body)}`);
  let response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(body && { 'content-type': 'application/json' }) },
      body: body && JSON.stringify(body),
    });
  } catch (error) {
    console.error(
      `Cannot reach the gateway at ${baseUrl} (${error.cause?.code ?? error.message}). Start it with npm start, or set GATEWAY_URL.`,
    );
    process.exit(1);
  }
  const answer = await response.json();
  console.log(`→ ${response.status}\n${JSON.stringify(answer, null, 2)}`);
  if (!response.ok) process.exit(1);
  return answer;
}

const { clientId, apiKey } = credentials();
const backend = { 'X-CLIENT-ID': clientId, 'X-API-KEY': apiKey };

const token = await step(
  '1. Backend mints an SDK token for the device',
  'POST',
  '/v1/api/sdk/token',
  backend,
);
const device = { 'X-CLIENT-ID': clientId, 'X-SDK-TOKEN': token.data.sdkToken };

const enrichment = await step(
  '2. Device: header enrichment (the sandbox header stands in for the mobile network)',
  'GET',
  `/v1/he/${operatorId}`,
  {
    ...device,
    'X-Sandbox-Msisdn': number,
  },
);
const { authmatechCode, MNOID, sdkSessionId } = enrichment.data;
if (!authmatechCode) {
  console.log(
    '\nThe operator identified nobody (sdk_no_he_result): a real app would fall back to another method here.',
  );
  process.exit(0);
}

await step('3. Device: reports its SDK session', 'POST', '/v1/api/sdk/session', device, {
  sdkSessionId,
  mnoId: MNOID,
  authmatechCodePresent: true,
  deviceContext: { platform: 'android', osVersion: '14', appVersion: '1.0.0', sdkVersion: 'demo' },
});

const verdict = await step(
  '4. Backend: verify the number the user claims',
  'POST',
  '/v1/api/verify?maskMobile=true',
  backend,
  {
    mobileNumber: number,
    encryptedMobileNumber: authmatechCode,
    operatorId: MNOID,
    serviceType: 'LOGIN',
    sdkSessionId,
  },
);
console.log(`\nVerdict: validNumber = ${verdict.data.validNumber}`);
