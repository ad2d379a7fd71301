import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';
import {
  AuthmatechSdkError,
  AuthmatechWebSDK,
  initAuthmatechCheck,
  SDK_VERSION,
  type AuthmatechErrorCode,
} from '../src/index.js';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A stand-in for the gateway on 127.0.0.1, answering what each test tells it to. */
class FakeGateway {
  readonly seen: Seen[] = [];
  private readonly server: Server;
  private readonly open = new Set<ServerResponse>();
  enrichment: Handler = (_request, _body, response) =>
    envelope(
      response,
      200,
      success({ authmatechCode: PROOF, MNOID: 'ZAIN_JO', sdkSessionId: SESSION }),
    );
  session: Handler = (_request, _body, response) =>
    envelope(response, 200, success({ sdkSessionId: SESSION }));

  constructor() {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        this.seen.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body,
        });
        this.open.add(response);
        response.on('close', () => this.open.delete(response));
        (request.url === '/v1/api/sdk/session' ? this.session : this.enrichment)(
          request,
          body,
          response,
        );
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Requests still waiting for an answer (a timed-out SDK call must have given up on them). */
  pending(): number {
    return this.open.size;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

const PROOF = 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..iv.cipher.tag';
const SESSION = '0b5a6a55-3a4e-4d0b-8f38-1f1b0c5d2e11';
const TOKEN = 'mig_sdk_eyJjIjoiY2xpX3Rlc3QifQ.c2lnbmF0dXJl';
const CLIENT = 'cli_0123456789abcdefghijkl';

function success(data: object, code: string | null = null, type = 'SUCCESS'): object {
  return {
    success: true,
    messages: [{ type, code, message: null, httpStatus: 'OK', technical: false, arguments: null }],
    data,
  };
}

function failure(code: string): object {
  return {
    success: false,
    messages: [
      { type: 'FAILURE', code, message: '…', httpStatus: 'X', technical: false, arguments: null },
    ],
    data: null,
  };
}

function envelope(response: ServerResponse, status: number, body: object): void {
  response
    .writeHead(status, { 'content-type': 'application/json', 'x-correlator': 'corr-1' })
    .end(JSON.stringify(body));
}

async function rejection(promise: Promise<unknown>): Promise<AuthmatechSdkError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthmatechSdkError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('AuthmatechWebSDK', () => {
  let gateway: FakeGateway;
  let baseUrl: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  const sdk = (options: Partial<ConstructorParameters<typeof AuthmatechWebSDK>[0]> = {}) =>
    new AuthmatechWebSDK({
      backendBaseURL: baseUrl,
      clientId: CLIENT,
      sdkToken: TOKEN,
      ...options,
    });

  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  beforeEach(async () => {
    gateway = new FakeGateway();
    baseUrl = await gateway.start();
    unhandled.length = 0;
  });

  afterEach(async () => {
    // Give stray promises a turn of the event loop to surface as unhandled rejections.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
    await gateway.stop();
  });

  describe('startHeaderEnrichment', () => {
    it('resolves the proof, operator and session, then registers the session with an honest device context', async () => {
      const result = await sdk().startHeaderEnrichment({ heUrl: `${baseUrl}/v1/he/ZAIN_JO` });
      expect(result).toEqual({ authmatechCode: PROOF, MNOID: 'ZAIN_JO', sdkSessionId: SESSION });

      const [enrichment, session] = gateway.seen;
      expect([enrichment.method, enrichment.url, session.method, session.url]).toEqual([
        'GET',
        '/v1/he/ZAIN_JO',
        'POST',
        '/v1/api/sdk/session',
      ]);
      for (const seen of gateway.seen) {
        expect(seen.headers).toMatchObject({ 'x-client-id': CLIENT, 'x-sdk-token': TOKEN });
        expect(seen.headers['x-api-key']).toBeUndefined();
      }
      expect(session.headers['content-type']).toBe('application/json');
      const body = JSON.parse(session.body);
      expect(body).toEqual({
        sdkSessionId: SESSION,
        mnoId: 'ZAIN_JO',
        authmatechCodePresent: true,
        authmatechCodeHash: createHash('sha256').update(PROOF).digest('hex'),
        deviceContext: expect.objectContaining({ platform: 'web', sdkVersion: SDK_VERSION }),
      });
      // Only what a browser can honestly say, ids hashed (Node has no localStorage: no installation id).
      expect(
        Object.keys(body.deviceContext).every((key) =>
          ['platform', 'sdkVersion', 'userAgent', 'installationIdHash'].includes(key),
        ),
      ).toBe(true);
      expect(session.body).not.toContain(PROOF);
    });

    it('rejects with sdk_no_he_result when the operator identified nobody, and still reports the session', async () => {
      gateway.enrichment = (_request, _body, response) =>
        envelope(
          response,
          200,
          success(
            { authmatechCode: null, MNOID: 'ZAIN_JO', sdkSessionId: SESSION },
            'sdk_no_he_result',
            'WARNING',
          ),
        );
      const error = await rejection(
        sdk().startHeaderEnrichment({ heUrl: `${baseUrl}/v1/he/ZAIN_JO` }),
      );
      expect(error).toMatchObject({
        code: 'sdk_no_he_result',
        status: 200,
        gatewayCode: 'sdk_no_he_result',
        MNOID: 'ZAIN_JO',
        sdkSessionId: SESSION,
        retryable: false,
      });
      expect(JSON.parse(gateway.seen[1].body)).toMatchObject({
        sdkSessionId: SESSION,
        authmatechCodePresent: false,
      });
    });

    it.each<[string, number, object, AuthmatechErrorCode, boolean]>([
      ['a refused token', 401, failure('UNAUTHORIZED'), 'token_refused', false],
      ['an operator that is down', 503, failure('OPERATOR_UNAVAILABLE'), 'operator_error', true],
      ['a gateway error', 500, failure('INTERNAL_ERROR'), 'operator_error', true],
      ['an unknown operator', 400, failure('INVALID_OPERATOR'), 'request_refused', false],
      [
        'a refused origin seen by a non-browser',
        403,
        failure('ORIGIN_NOT_ALLOWED'),
        'request_refused',
        false,
      ],
      ['a rate limit', 429, failure('TOO_MANY_REQUESTS'), 'request_refused', true],
    ])('types %s (%i)', async (_case, status, body, code, retryable) => {
      gateway.enrichment = (_request, _body, response) => envelope(response, status, body);
      const error = await rejection(
        sdk().startHeaderEnrichment({ heUrl: `${baseUrl}/v1/he/ZAIN_JO` }),
      );
      expect(error).toMatchObject({
        code,
        status,
        gatewayCode: (body as { messages: { code: string }[] }).messages[0].code,
        correlationId: 'corr-1',
        retryable,
      });
      expect(error).toBeInstanceOf(Error);
      expect(gateway.seen).toHaveLength(1);
    });

    it('types an answer that is not the envelope as invalid_response', async () => {
      gateway.enrichment = (_request, _body, response) =>
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>');
      expect(
        (await rejection(sdk().startHeaderEnrichment({ heUrl: `${baseUrl}/v1/he/ZAIN_JO` }))).code,
      ).toBe('invalid_response');
      gateway.enrichment = (_request, _body, response) =>
        envelope(response, 200, success({ MNOID: 'ZAIN_JO', sdkSessionId: SESSION }));
      expect(
        (await rejection(sdk().startHeaderEnrichment({ heUrl: `${baseUrl}/v1/he/ZAIN_JO` }))).code,
      ).toBe('invalid_response');
    });

    it('types an unreachable gateway as network_error', async () => {
      const closed = new FakeGateway();
      const url = await closed.start();
      await closed.stop();
      const error = await rejection(sdk().startHeaderEnrichment({ heUrl: `${url}/v1/he/ZAIN_JO` }));
      expect(error).toMatchObject({ code: 'network_error', retryable: true });
    });

    it('gives up at the deadline with timeout, and abandons the request', async () => {
      gateway.enrichment = () => undefined; // never answers
      const started = Date.now();
      const error = await rejection(
        sdk({ timeoutMs: 300 }).startHeaderEnrichment({ heUrl: `${baseUrl}/v1/he/ZAIN_JO` }),
      );
      expect(error).toMatchObject({ code: 'timeout', retryable: true });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      const deadline = Date.now() + 2_000;
      while (gateway.pending() > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(gateway.pending()).toBe(0);
    });

    it('counts the session report into the same deadline', async () => {
      gateway.session = () => undefined;
      const error = await rejection(
        sdk().startHeaderEnrichment({ heUrl: `${baseUrl}/v1/he/ZAIN_JO`, timeoutMs: 300 }),
      );
      expect(error.code).toBe('timeout');
    });

    it('fails when the session report is refused, so no proof is used without its session', async () => {
      gateway.session = (_request, _body, response) =>
        envelope(response, 401, failure('UNAUTHORIZED'));
      expect(
        (await rejection(sdk().startHeaderEnrichment({ heUrl: `${baseUrl}/v1/he/ZAIN_JO` }))).code,
      ).toBe('token_refused');
    });

    it('posts the session to the backend base URL, with or without a trailing slash', async () => {
      await sdk({ backendBaseURL: `${baseUrl}/` }).startHeaderEnrichment({
        heUrl: `${baseUrl}/v1/he/ZAIN_JO`,
      });
      expect(gateway.seen[1].url).toBe('/v1/api/sdk/session');
    });
  });

  describe('options', () => {
    it.each([
      ['a relative backendBaseURL', { backendBaseURL: '/gateway' }],
      ['a non-http backendBaseURL', { backendBaseURL: 'javascript:alert(1)' }],
      ['no client id', { clientId: '' }],
      ['no token', { sdkToken: undefined as unknown as string }],
      ['a zero timeout', { timeoutMs: 0 }],
    ])('refuses %s with a TypeError before any request', (_case, options) => {
      expect(() => sdk(options)).toThrow(TypeError);
      expect(gateway.seen).toHaveLength(0);
    });

    it('rejects a missing heUrl or checkUrl with a TypeError', async () => {
      await expect(sdk().startHeaderEnrichment({ heUrl: 'not a url' })).rejects.toThrow(TypeError);
      await expect(
        initAuthmatechCheck({ checkUrl: `${baseUrl}/v1/he/ZAIN_JO/check` }),
      ).rejects.toThrow(TypeError);
      expect(gateway.seen).toHaveLength(0);
    });
  });
});

describe('the published package', () => {
  const root = new URL('..', import.meta.url);
  const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

  it('has no runtime dependencies and exports its module and types', () => {
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies ?? {}).toEqual({});
    expect(manifest.type).toBe('module');
    expect(manifest.exports['.']).toEqual({
      types: './dist/index.d.ts',
      default: './dist/index.js',
    });
    expect(manifest.files).toEqual(['dist', 'README.md']);
    // The version it reports in the device context is the one it is published as.
    expect(SDK_VERSION).toBe(manifest.version);
    // Published under the repository's licence (LICENSE at its root).
    const repository = JSON.parse(readFileSync(new URL('../../package.json', root), 'utf8')) as {
      license: string;
    };
    expect([manifest.license, repository.license]).toEqual(['Apache-2.0', 'Apache-2.0']);
  });

  it('stays within 5 KB gzipped: the file it ships (dist/index.js, built by `npm run build`), at gzip’s default level', () => {
    const built = new URL('dist/index.js', root);
    if (!existsSync(built))
      throw new Error(
        'sdk/web/dist/index.js is missing: run `npm run build` first (npm test does)',
      );
    const shipped = readFileSync(built, 'utf8');
    // The build of these sources, not a stale one: what their compiler options make of src/index.ts.
    const configPath = new URL('tsconfig.json', root).pathname;
    const config = ts.parseJsonConfigFileContent(
      ts.readConfigFile(configPath, ts.sys.readFile).config,
      ts.sys,
      new URL('.', root).pathname,
    );
    const source = readFileSync(new URL('src/index.ts', root), 'utf8');
    expect(
      shipped === ts.transpileModule(source, { compilerOptions: config.options }).outputText,
    ).toBe(true);
    expect(shipped).not.toMatch(/\bimport\b.+\bfrom\b/);
    expect(gzipSync(shipped).length).toBeLessThanOrEqual(5 * 1024);
  });

  it('documents every option and every error code in its README', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const codes: AuthmatechErrorCode[] = [
      'sdk_no_he_result',
      'timeout',
      'token_refused',
      'operator_error',
      'network_error',
      'request_refused',
      'invalid_response',
    ];
    for (const name of [
      ...codes,
      'backendBaseURL',
      'clientId',
      'sdkToken',
      'timeoutMs',
      'rememberInstallation',
      'heUrl',
      'checkUrl',
      'transactionId',
    ]) {
      expect(readme).toContain(`\`${name}\``);
    }
  });
});
