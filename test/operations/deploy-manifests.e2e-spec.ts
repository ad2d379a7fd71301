import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { load, loadAll } from 'js-yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import type { IContainer, IEnvVar, IPodSpec, IProbe } from 'kubernetes-models/v1';
import { Environment } from '../../src/common/config/environment.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const MANIFESTS = path.resolve('deploy/kubernetes');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * The Kubernetes JSON schemas (kubernetes-models, ajv-compiled): one model per kind the manifests
 * use. A new kind has to be added here, so nothing is applied unvalidated.
 */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Gateway variables that hold secrets: only ever from a Secret. */
const SECRET_VARIABLES = [
  'DATABASE_URL',
  'API_KEY_PEPPER',
  'PHONE_HASH_PEPPER',
  'SECRET_ENCRYPTION_KEYS',
  'ADMIN_BOOTSTRAP_SECRET',
  'METRICS_TOKEN',
  'REDIS_URL',
];

function readManifests(): { file: string; manifest: Manifest }[] {
  return readdirSync(MANIFESTS)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      loadAll(readFileSync(path.join(MANIFESTS, file), 'utf8')).map((manifest) => ({
        file,
        manifest: manifest as Manifest,
      })),
    );
}

function only<T extends Manifest>(manifests: Manifest[], kind: string, name?: string): T {
  const found = manifests.filter(
    (manifest) => manifest.kind === kind && (name === undefined || manifest.metadata.name === name),
  );
  expect(found).toHaveLength(1);
  return found[0] as T;
}

type Workload = Manifest & {
  spec: { template: { metadata: { labels: Record<string, string> }; spec: IPodSpec } };
};

function containerOf(workload: Workload): IContainer {
  expect(workload.spec.template.spec.containers).toHaveLength(1);
  return workload.spec.template.spec.containers[0];
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return (
    Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels[key] === value)
  );
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const manifests = readManifests().map(({ manifest }) => manifest);
  const deployment = only<
    Workload & { spec: { replicas: number; selector: { matchLabels: Record<string, string> } } }
  >(manifests, 'Deployment');
  const job = only<Workload>(manifests, 'Job');
  const configMap = only<Manifest & { data: Record<string, string> }>(manifests, 'ConfigMap');
  const gateway = containerOf(deployment);
  const podLabels = deployment.spec.template.metadata.labels;

  it('are all listed in the kustomization, and each is valid against the Kubernetes schema of its kind', () => {
    const kustomization = load(
      readFileSync(path.join(MANIFESTS, 'kustomization.yaml'), 'utf8'),
    ) as { resources: string[]; images: { name: string }[] };
    const files = [...new Set(readManifests().map(({ file }) => file))];
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const manifest of manifests) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      expect({
        kind: `${manifest.apiVersion}/${manifest.kind}`,
        known: Model !== undefined,
      }).toEqual({ kind: `${manifest.apiVersion}/${manifest.kind}`, known: true });
      expect(() => {
        new Model(manifest as never).validate();
      }).not.toThrow();
    }
    // The kustomization's image override names the image both workloads run.
    expect(kustomization.images.map((image) => image.name)).toEqual([gateway.image]);
  });

  it('the schema check rejects a broken manifest (so passing means something)', () => {
    const broken = structuredClone(deployment) as Record<string, unknown> & {
      spec: Record<string, unknown>;
    };
    broken.spec.replicas = 'three';
    expect(() => {
      new Deployment(broken as never).validate();
    }).toThrow(/replicas/);
  });

  it('runs 3 replicas, selected by their own labels, kept at 2 or more by the PodDisruptionBudget', () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(matches(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    const budget = only<
      Manifest & {
        spec: {
          minAvailable?: number;
          maxUnavailable?: number;
          selector: { matchLabels: Record<string, string> };
        };
      }
    >(manifests, 'PodDisruptionBudget');
    expect(budget.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(budget.spec.minAvailable).toBe(2);
    // The migration Job's pod is not one of the gateway's: no Service or budget selects it.
    expect(matches(budget.spec.selector.matchLabels, job.spec.template.metadata.labels)).toBe(
      false,
    );
  });

  it('routes the Services to named container ports of the gateway pods; the API Service does not expose metrics', () => {
    const ports = new Map((gateway.ports ?? []).map((port) => [port.name, port.containerPort]));
    const services = manifests.filter((manifest) => manifest.kind === 'Service') as (Manifest & {
      spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    })[];
    expect(services.length).toBeGreaterThan(0);
    for (const service of services) {
      expect(matches(service.spec.selector, podLabels)).toBe(true);
      for (const port of service.spec.ports) expect(ports.has(port.targetPort)).toBe(true);
    }
    const api = only<(typeof services)[number]>(manifests, 'Service', 'mobile-identity-gateway');
    expect(api.spec.ports.map((port) => port.targetPort)).toEqual(['http']);
    expect(ports.get('http')).toBe(Number(configMap.data.PORT));
    expect(ports.get('metrics')).toBe(Number(configMap.data.METRICS_PORT));
  });

  it('takes every secret from a Secret, never a literal value, and ships no Secret', () => {
    expect(manifests.filter((manifest) => manifest.kind === 'Secret')).toEqual([]);
    expect(Object.keys(configMap.data).filter((key) => SECRET_VARIABLES.includes(key))).toEqual([]);
    for (const workload of [deployment, job]) {
      for (const container of [
        ...workload.spec.template.spec.containers,
        ...(workload.spec.template.spec.initContainers ?? []),
      ]) {
        const literal = (container.env ?? []).filter(
          (variable: IEnvVar) => variable.value !== undefined || !variable.valueFrom?.secretKeyRef,
        );
        expect(
          literal
            .filter((variable) => SECRET_VARIABLES.includes(variable.name))
            .map((variable) => variable.name),
        ).toEqual([]);
      }
    }
    const fromSecret = (container: IContainer): Record<string, string | undefined> =>
      Object.fromEntries(
        (container.env ?? [])
          .filter((variable) => variable.valueFrom?.secretKeyRef)
          .map((variable) => [variable.name, variable.valueFrom?.secretKeyRef?.name]),
      );
    // The production secrets the gateway refuses to start without (README, "Configuration").
    expect(fromSecret(gateway)).toEqual(
      expect.objectContaining({
        DATABASE_URL: 'mobile-identity-gateway',
        API_KEY_PEPPER: 'mobile-identity-gateway',
        PHONE_HASH_PEPPER: 'mobile-identity-gateway',
        SECRET_ENCRYPTION_KEYS: 'mobile-identity-gateway',
      }),
    );
    // The Job migrates as the owner, from a Secret of its own, and gets no other secret.
    expect(fromSecret(containerOf(job))).toEqual({
      DATABASE_URL: 'mobile-identity-gateway-migrate',
    });
  });

  it('sets only variables the gateway knows (a typo would be ignored silently), with migrations left to the Job', () => {
    const known = new Set(Object.keys(new Environment()));
    const names = [
      ...Object.keys(configMap.data),
      ...(gateway.env ?? []).map((variable) => variable.name),
    ];
    expect(names.filter((name) => !known.has(name) && !name.startsWith('OTEL_'))).toEqual([]);
    expect(configMap.data.NODE_ENV).toBe('production');
    expect(configMap.data.MIGRATE_ON_START).toBe('false');
    expect(gateway.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
  });

  it('migrates with the same image, through the CLI the image ships', () => {
    const migrate = containerOf(job);
    expect(migrate.image).toBe(gateway.image);
    expect(migrate.command).toEqual(['node', 'dist/cli.js', 'db:migrate']);
    expect(existsSync('dist/cli.js')).toBe(true);
    expect(job.spec.template.spec.restartPolicy).not.toBe('Always');
  });

  it('drains within the grace period, runs as non-root with requests and limits', () => {
    const preStop = gateway.lifecycle?.preStop?.exec?.command ?? [];
    const pause = preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
    expect(pause * 1000 + Number(configMap.data.SHUTDOWN_TIMEOUT_MS)).toBeLessThan(
      (deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000,
    );
    for (const workload of [deployment, job]) {
      expect(workload.spec.template.spec.securityContext?.runAsNonRoot).toBe(true);
      const container = containerOf(workload);
      expect(container.securityContext).toEqual(
        expect.objectContaining({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        }),
      );
      expect(container.resources?.requests).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
      expect(container.resources?.limits?.memory).toEqual(expect.any(String));
    }
  });

  describe('probes', () => {
    let database: TestDatabase;
    let app: NestFastifyApplication;

    beforeAll(async () => {
      database = await createTestDatabase();
      app = await startTestApp(database);
    });

    afterAll(async () => {
      await app?.close();
      await database?.drop();
    });

    function httpGet(probe: IProbe | undefined): { path: string; port: string } {
      expect(probe?.httpGet).toEqual({ path: expect.any(String), port: 'http' });
      return probe!.httpGet as { path: string; port: string };
    }

    it('liveness, readiness and start-up probe the gateway’s real health routes, which answer 200', async () => {
      expect(httpGet(gateway.livenessProbe).path).toBe('/health/live');
      expect(httpGet(gateway.readinessProbe).path).toBe('/health/ready');
      expect(httpGet(gateway.startupProbe).path).toBe('/health/live');
      for (const probe of [gateway.livenessProbe, gateway.readinessProbe, gateway.startupProbe]) {
        const reply = await app.inject({ method: 'GET', url: httpGet(probe).path });
        expect({ path: httpGet(probe).path, status: reply.statusCode }).toEqual({
          path: httpGet(probe).path,
          status: 200,
        });
      }
    });
  });
});

describe('Dockerfile and Compose', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const compose = load(readFileSync('docker-compose.yml', 'utf8')) as {
    services: Record<string, { restart?: string; environment?: Record<string, string> }>;
  };

  it('build from one pinned Node LTS line (even major) and check health on PORT', () => {
    const image = /^ARG NODE_IMAGE=node:(\d+)[-\w.@:]*$/m.exec(dockerfile);
    expect(image).not.toBeNull();
    expect(Number(image![1]) % 2).toBe(0);
    expect(Number(image![1])).toBeGreaterThanOrEqual(24);
    expect(
      dockerfile.match(/^FROM (\S+)/gm)?.every((line) => line.startsWith('FROM ${NODE_IMAGE}')),
    ).toBe(true);
    const healthcheck = /^HEALTHCHECK .*$/m.exec(dockerfile)?.[0] ?? '';
    expect(healthcheck).toContain('process.env.PORT');
    expect(healthcheck).toContain('/health/ready');
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it("bound the process's memory: V8's heap limit is at most half the Deployment's memory limit", () => {
    const heapMb = Number(/^ENV NODE_OPTIONS=.*--max-old-space-size=(\d+)/m.exec(dockerfile)?.[1]);
    expect(heapMb).toBeGreaterThan(0);
    expect(dockerfile).toMatch(/^ENV MALLOC_ARENA_MAX=\d+$/m);
    const deployment = only<Workload>(
      readManifests().map(({ manifest }) => manifest),
      'Deployment',
    );
    const limit = String(containerOf(deployment).resources?.limits?.memory ?? '');
    const limitMb = Number(/^(\d+)Mi$/.exec(limit)?.[1]);
    expect(heapMb).toBeLessThanOrEqual(limitMb / 2);
  });

  it('restart every compose service, and give the gateway its first-admin bootstrap secret', () => {
    for (const [name, service] of Object.entries(compose.services))
      expect({ name, restart: service.restart }).toEqual({ name, restart: expect.any(String) });
    const bootstrap = compose.services.gateway.environment?.ADMIN_BOOTSTRAP_SECRET ?? '';
    // `${ADMIN_BOOTSTRAP_SECRET:-placeholder}`: the operator's own, or a local-trial placeholder of the required length.
    const placeholder = /^\$\{ADMIN_BOOTSTRAP_SECRET:-(.+)\}$/.exec(bootstrap)?.[1] ?? '';
    expect(placeholder.length).toBeGreaterThanOrEqual(32);
  });
});
