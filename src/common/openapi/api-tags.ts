/**
 * Every tag of the OpenAPI document, declared once: controllers use these constants, and the
 * linter refuses an operation whose tag is not in this list, so tags cannot drift apart in spelling.
 * Format: "<contract or area>: <topic>".
 */
export const Tags = {
  verification: 'Authmatech: silent verification',
  credentials: 'Authmatech: credentials',
  portal: 'Authmatech: portal',
  intelligence: 'Authmatech: intelligence',
  identityMatch: 'Identity Match: SIM swap',
  camaraSimSwap: 'CAMARA: SIM Swap',
  camaraDeviceSwap: 'CAMARA: Device Swap',
  camaraSimSwapSubscriptions: 'CAMARA: SIM Swap Subscriptions',
  deviceSwapSubscriptions: 'Gateway: Device Swap Subscriptions',
  operatorNotifications: 'Gateway: operator notifications',
  adminClients: 'Admin: clients',
  adminKeys: 'Admin: admin keys',
  adminOperators: 'Admin: operators',
  adminBalances: 'Admin: balances',
  adminSandbox: 'Admin: sandbox',
  adminIntelligence: 'Admin: intelligence',
  adminAudit: 'Admin: audit',
  adminPush: 'Admin: webhooks',
  health: 'Health',
} as const;

export const API_TAG_DESCRIPTIONS: Record<(typeof Tags)[keyof typeof Tags], string> = {
  [Tags.verification]:
    'Header enrichment (device), SDK session (device) and verify (backend): does this user hold this number? Errors in the Authmatech envelope.',
  [Tags.credentials]:
    'SDK tokens and self-service API key rotation, with the API key and client id.',
  [Tags.portal]: "A client's own products, balance and history; always scoped by its credentials.",
  [Tags.intelligence]:
    'Trust score, Shield assessment and Detect from the gateway’s own signals (SIM swap, silent verification, device, operator, network, velocity), under a versioned policy per journey; policies and backtests.',
  [Tags.identityMatch]:
    'CM.com-style takeover protection with a client-signed HS256 JWT: latest SIM change as a timestamp, a 24-hour flag or an age range.',
  [Tags.camaraSimSwap]:
    'CAMARA SIM Swap 2.1.0 (r3.3): check and retrieve-date, schema-compatible with the official definition.',
  [Tags.camaraDeviceSwap]:
    'CAMARA Device Swap 1.0.0 (r3.2): check and retrieve-date, schema-compatible with the official definition.',
  [Tags.camaraSimSwapSubscriptions]:
    'CAMARA SIM Swap Subscriptions 0.3.0: swap events pushed to your sink as signed CloudEvents, delivered at least once with retries.',
  [Tags.deviceSwapSubscriptions]:
    'Gateway extension (CAMARA has no device-swap subscriptions): the SIM Swap Subscriptions contract for device swaps.',
  [Tags.operatorNotifications]:
    "Called by operators, not clients: the receiver of the CloudEvents of the gateway's own CAMARA SIM Swap Subscriptions at operators that offer them.",
  [Tags.adminClients]:
    'Clients and their credentials (admin role). Secrets appear only in the answer that issues them.',
  [Tags.adminKeys]: 'Admin and auditor keys (admin role).',
  [Tags.adminOperators]:
    'Mobile operators as data, and their upstream secrets (stored encrypted, never returned).',
  [Tags.adminBalances]: 'Verification credits of LIVE clients.',
  [Tags.adminSandbox]: 'Swap dates of sandbox numbers, for integration tests.',
  [Tags.adminIntelligence]:
    'Intelligence policies of any client and backtests of draft policies (admin role).',
  [Tags.adminAudit]:
    'The tamper-evident audit trail: queries, exports, reports and the chain check (auditor role).',
  [Tags.adminPush]:
    'Webhook deliveries: dead letters, every attempt (status, latency, error), replay; client signing keys.',
  [Tags.health]: 'Liveness and readiness probes; no credentials.',
};
