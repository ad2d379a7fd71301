import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): Record<string, unknown>;
}

/** Starts the app on a loopback port, for requests `inject` cannot make (raw request targets, raw headers). */
export async function listenOnLoopback(
  app: NestFastifyApplication,
): Promise<{ host: string; port: number }> {
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as AddressInfo;
  return { host: '127.0.0.1', port: address.port };
}

/**
 * One request over a real socket with the request target exactly as given: origin form
 * (`/path`), absolute form (`http://x/path`), percent-encoded or with doubled slashes. Node's
 * client sends `path` verbatim.
 */
export function rawRequest(
  server: { host: string; port: number },
  options: { method: string; target: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: server.host,
        port: server.port,
        method: options.method,
        path: options.target,
        headers: {
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            json: () => JSON.parse(body) as Record<string, unknown>,
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Writes raw bytes and reads the whole answer (the server closes the connection). */
export function rawExchange(
  server: { host: string; port: number },
  bytes: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, server.host);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(error);
    });
    socket.write(bytes);
  });
}
