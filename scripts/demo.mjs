#!/usr/bin/env node
// Silent verification end to end against a running gateway, through the Node SDK (sdk/node):
// SDK token → header enrichment → SDK session → verify, printing each step and answer.
// Credentials come from DEMO_CLIENT_ID / DEMO_API_KEY, or from the sandbox client the gateway
// wrote on first start (.data/sandbox-credentials.json). The sandbox stands in for the mobile
// network with the X-Sandbox-Msisdn header, so it only works with a SANDBOX client.
import { readFileSync } from 'node:fs';
import {
  createGatewayClient,
  GatewayError,
  GatewayTransportError,
} from '../sdk/node/dist/index.js';

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

const mask = (secret) => `${secret.slice(0, 12)}…`;

async function step(title, call) {
  console.log(`\n── ${title}`);
  try {
    const answer = await call();
    console.log(
      JSON.stringify(
        answer,
        (key, value) =>
          /token|code$/i.test(key) && typeof value === 'string' ? mask(value) : value,
        2,
      ),
    );
    return answer;
  } catch (error) {
    if (error instanceof GatewayTransportError) {
      console.error(
        `Cannot reach the gateway at ${baseUrl} (${error.cause?.code ?? error.message}). Start it with npm start, or set GATEWAY_URL.`,
      );
    } else if (error instanceof GatewayError) {
      console.error(
        `→ ${error.status} ${error.code}: ${error.message} (x-correlator ${error.correlator})`,
      );
    } else {
      console.error(error);
    }
    process.exit(1);
  }
}

const gateway = createGatewayClient({ baseUrl, ...credentials() });

const { sdkToken } = await step('1. Backend mints an SDK token for the device', () =>
  gateway.verification.mintSdkToken(),
);

const enrichment = await step(
  '2. Device: header enrichment (the sandbox header stands in for the mobile network)',
  () => gateway.verification.enrich(operatorId, { sdkToken, sandboxMsisdn: number }),
);
if (!enrichment.identified) {
  console.log(
    '\nThe operator identified nobody (sdk_no_he_result): a real app would fall back to another method here.',
  );
  process.exit(0);
}

await step('3. Device: reports its SDK session', () =>
  gateway.verification.reportSession(
    {
      sdkSessionId: enrichment.sdkSessionId,
      mnoId: enrichment.MNOID,
      authmatechCodePresent: true,
      deviceContext: {
        platform: 'android',
        osVersion: '14',
        appVersion: '1.0.0',
        sdkVersion: 'demo',
      },
    },
    { sdkToken },
  ),
);

const verdict = await step('4. Backend: verify the number the user claims', () =>
  gateway.verification.verify(
    {
      mobileNumber: number,
      encryptedMobileNumber: enrichment.authmatechCode,
      operatorId: enrichment.MNOID,
      serviceType: 'LOGIN',
      sdkSessionId: enrichment.sdkSessionId,
    },
    { maskMobile: true },
  ),
);
console.log(
  `\nVerdict: validNumber = ${verdict.validNumber}${verdict.reason ? ` (${verdict.reason})` : ''}`,
);
