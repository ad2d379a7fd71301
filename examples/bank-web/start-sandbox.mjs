#!/usr/bin/env node
// `npm run example:bank-web`: the Demo Bank against the gateway `npm start` runs, with its sandbox
// client (.data/sandbox-credentials.json), plus the operator network simulator so a browser can
// be "on mobile data". Needs the gateway built (npm start builds it) and running.
import { loadConfig, startBankServer } from './server.mjs';

const msisdn = process.env.MSISDN ?? '+962791234567';
const simulatorPort = Number(process.env.SIMULATOR_PORT ?? 8099);

let startNetworkSimulator;
try {
  ({ startNetworkSimulator } = await import('../../dist/modules/operators/network-simulator.js'));
} catch {
  console.error(
    'The gateway is not built: run `npm start` (or `npm run build`) in the repository first.',
  );
  process.exit(2);
}

let config;
try {
  config = loadConfig();
} catch (error) {
  console.error(error.message);
  process.exit(2);
}
const bank = await startBankServer(config);
// Like a real operator, the simulator enriches only requests to the enrichment host.
const simulator = await startNetworkSimulator({
  msisdn,
  port: simulatorPort,
  enrichHosts: [new URL(config.heUrl).host],
});

console.log(
  [
    `Demo Bank on ${bank.url} (client ${config.credentials.clientId}, gateway ${config.gatewayUrl}).`,
    '',
    `Mobile data (subscriber ${msisdn}): open it in a browser that uses the operator network simulator:`,
    `  chromium --user-data-dir=$(mktemp -d) --proxy-server=${simulator.url} --proxy-bypass-list='<-loopback>' ${bank.url}`,
    `Wi-Fi: open ${bank.url} in any browser; silent verification falls back.`,
    '',
    'Ctrl-C stops both.',
  ].join('\n'),
);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void Promise.all([bank.close(), simulator.close()]).then(() => process.exit(0));
  });
}
