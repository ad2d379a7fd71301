import { dropTestDatabases, testServer } from './global-setup.mjs';

export default async function globalTeardown() {
  const server = testServer();
  if (server) await dropTestDatabases(server);
}
