// Checks infra/ without a container engine or a cluster: every Kubernetes object validates
// against the Kubernetes schemas (kubernetes-models), the manifests agree with each other and
// with the broker's config schema and make a 3-broker cluster (replicas, HPA floor,
// cluster.enable, a grace period for the controlled shutdown), the compose file parses and
// names 3 clustered brokers + Redis + LocalStack, and the Dockerfile is well-formed with its
// base image a build argument. Running its build steps and its ENTRYPOINT/CMD + HEALTHCHECK
// (a build and a broker process) is in test/integration/dockerfile.test.ts; the real image
// build and a 3-broker cluster in podman containers is infra/podman/cluster-smoke.sh (a CI
// step). Not run anywhere here: `docker compose up`, `kubectl apply` (see README, Containers).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { brokerConfigKeys } from '../../../src/config/broker-config.js';
import { envNameFor, loadBrokerConfig, parseProperties } from '../../../src/config/load-config.js';
import { dockerStages } from '../../helpers/dockerfile.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const infra = path.join(root, 'infra');
const knownEnv = new Set(brokerConfigKeys.map(envNameFor));
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const models: Record<string, new (data: Obj) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap as never,
  'v1/Service': Service as never,
  'apps/v1/StatefulSet': StatefulSet as never,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as never,
};

function loadK8s(): Obj[] {
  const dir = path.join(infra, 'k8s');
  const out: Obj[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      expect(doc.errors, file).toEqual([]);
      out.push({ ...(doc.toJS() as Obj), __file: file });
    }
  }
  return out;
}

describe('Kubernetes manifests (infra/k8s)', () => {
  const objects = loadK8s();
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  it('every object validates against its Kubernetes schema', () => {
    expect(objects.length).toBeGreaterThanOrEqual(5);
    for (const { __file, ...o } of objects) {
      const Model = models[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${__file}: no model for ${o.apiVersion}/${o.kind}`).toBeDefined();
      expect(() => new Model!(o).validate(), `${__file} ${o.kind}/${o.metadata?.name}`).not.toThrow();
    }
  });

  it('kustomization lists every manifest', () => {
    const k = parseYaml(fs.readFileSync(path.join(infra, 'k8s', 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(new Set(k.resources)).toEqual(new Set(objects.map((o) => o.__file)));
  });

  it('StatefulSet: a PVC per broker at /data, headless Service, ConfigMap + env, probes on /readyz and /healthz', () => {
    const [sts] = byKind('StatefulSet');
    const spec = sts!.spec;
    const headless = byKind('Service').find((s) => s.metadata.name === spec.serviceName);
    expect(headless?.spec.clusterIP).toBe('None');
    expect(headless!.spec.selector).toEqual(spec.selector.matchLabels);
    expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);

    const claim = spec.volumeClaimTemplates[0];
    const c = spec.template.spec.containers[0];
    expect(c.volumeMounts).toContainEqual({ name: claim.metadata.name, mountPath: '/data' });
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);

    const portNames = new Set(c.ports.map((p: Obj) => p.name));
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(portNames.has('http') && portNames.has('kafka')).toBe(true);
    expect(spec.template.spec.securityContext.runAsNonRoot).toBe(true);

    const cmName = spec.template.spec.volumes.find((v: Obj) => v.configMap)?.configMap.name;
    expect(byKind('ConfigMap').map((m) => m.metadata.name)).toContain(cmName);
    for (const e of c.env as Obj[]) {
      if (e.name.startsWith('STRATA_') && e.name !== 'STRATA_CONFIG') expect(knownEnv.has(e.name), `${e.name} names a broker setting`).toBe(true);
    }
  });

  it('ConfigMap properties + pod env form a valid broker config', () => {
    const [cm] = byKind('ConfigMap');
    const [sts] = byKind('StatefulSet');
    const text = cm!.data['strata.properties'] as string;
    for (const key of Object.keys(parseProperties(text))) expect(brokerConfigKeys as string[]).toContain(key);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-k8s-'));
    temps.push(dir);
    const file = path.join(dir, 'strata.properties');
    fs.writeFileSync(file, text);
    // What the kubelet would resolve for pod strata-2.
    const env: Record<string, string> = { STRATA_CONFIG: file };
    for (const e of sts!.spec.template.spec.containers[0].env as Obj[]) {
      if (!e.name.startsWith('STRATA_') || e.name === 'STRATA_CONFIG') continue;
      env[e.name] = e.value !== undefined ? String(e.value).replace('$(POD_NAME)', 'strata-2').replace('$(POD_NAMESPACE)', 'default') : '2';
    }
    const loaded = loadBrokerConfig({ argv: [], env });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config['node.id']).toBe(2);
    expect(loaded.config['advertised.listeners']).toBe('PLAINTEXT://strata-2.strata-headless.default.svc.cluster.local:9092');
    expect(loaded.config['http.listeners']).toBe('0.0.0.0:8080');
    expect(loaded.config['log.dirs']).toBe('/data');
    expect(loaded.config['cluster.enable']).toBe(true);
    expect(loaded.config['redis.url']).toBeDefined();
    expect(loaded.config['log.remote.storage.enable']).toBe(true);
    // The kubelet's SIGKILL comes after the controlled shutdown has given up, never before.
    expect(sts!.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(loaded.config['controlled.shutdown.timeout.ms']);
  });

  it('three brokers by default, never scaled below three, with time for a controlled shutdown', () => {
    const [sts] = byKind('StatefulSet');
    const [hpa] = byKind('HorizontalPodAutoscaler');
    expect(sts!.spec.replicas).toBe(3);
    expect(hpa!.spec.minReplicas).toBe(3);
    expect(hpa!.spec.maxReplicas).toBeGreaterThan(hpa!.spec.minReplicas);
    // SIGTERM hands the broker's partitions to the others before it exits (the drain).
    expect(sts!.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(120);
  });

  it('HorizontalPodAutoscaler scales the StatefulSet on CPU', () => {
    const [hpa] = byKind('HorizontalPodAutoscaler');
    const [sts] = byKind('StatefulSet');
    expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts!.metadata.name });
    expect(hpa!.spec.metrics).toContainEqual(expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }));
    expect(sts!.spec.template.spec.containers[0].resources.requests.cpu).toBeDefined(); // HPA utilisation needs a request
  });
});

describe('compose file (infra/compose.yaml)', () => {
  // merge: the brokers share their settings through YAML merge keys (<<), as Compose reads them.
  const compose = parseYaml(fs.readFileSync(path.join(infra, 'compose.yaml'), 'utf8'), { merge: true }) as Obj;
  const brokerNames = ['strata-0', 'strata-1', 'strata-2'];

  it('parses and names three brokers, Redis and LocalStack', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['localstack', 'redis', ...brokerNames]);
    for (const name of brokerNames) {
      const s = compose.services[name];
      expect(fs.existsSync(path.join(infra, s.build.context, s.build.dockerfile)), name).toBe(true);
      expect(s.depends_on, name).toMatchObject({ redis: { condition: 'service_healthy' }, localstack: { condition: 'service_healthy' } });
    }
    // One volume per broker, each declared.
    const volumes = brokerNames.map((n) => (compose.services[n].volumes as string[]).find((v) => v.endsWith(':/data'))!.split(':')[0]!);
    expect(new Set(volumes).size).toBe(3);
    for (const v of volumes) expect(Object.keys(compose.volumes)).toContain(v);
    for (const v of compose.services.localstack.volumes as string[]) expect(fs.existsSync(path.join(infra, v.split(':')[0]!))).toBe(true);
  });

  it("each broker's environment is a valid cluster config: distinct node ids and advertised ports 9092-9094, one Redis and one bucket", () => {
    const configs = brokerNames.map((name) => {
      const env = compose.services[name].environment as Record<string, string>;
      for (const key of Object.keys(env)) if (key.startsWith('STRATA_')) expect(knownEnv.has(key), `${name}: ${key}`).toBe(true);
      const loaded = loadBrokerConfig({ argv: [], env });
      expect(loaded.warnings, name).toEqual([]);
      return loaded.config;
    });
    expect(configs.map((c) => c['node.id'])).toEqual([0, 1, 2]);
    expect(configs.map((c) => c['advertised.listeners'])).toEqual(['PLAINTEXT://localhost:9092', 'PLAINTEXT://localhost:9093', 'PLAINTEXT://localhost:9094']);
    brokerNames.forEach((name, i) => {
      // The advertised port is the one the broker listens on and the one published 1:1.
      const port = 9092 + i;
      expect(configs[i]!['listeners']).toBe(`PLAINTEXT://0.0.0.0:${port}`);
      expect(compose.services[name].ports).toContain(`${port}:${port}`);
    });
    for (const c of configs) {
      expect(c['cluster.enable']).toBe(true);
      expect(c['redis.url']).toBe('redis://redis:6379');
      expect(c['remote.storage.s3.endpoint']).toBe('http://localstack:4566');
      expect(c['remote.storage.s3.bucket']).toBe('strata');
    }
  });
});

describe('Dockerfile (infra/Dockerfile)', () => {
  // The build that runs it and its ENTRYPOINT/HEALTHCHECK: test/integration/dockerfile.test.ts.
  const { all: ins, stages, build, runtime, envOf } = dockerStages(root);

  it('is multi-stage on one base image given as a build argument (default a slim Node LTS), runs as non-root with a /data volume and a health check', () => {
    expect(stages).toHaveLength(2);
    // BASE_IMAGE is declared before the first FROM and used by both stages, so one
    // --build-arg BASE_IMAGE=… (infra/podman/build-base.sh's local image) changes both.
    expect(ins[0]).toEqual({ op: 'ARG', args: expect.stringMatching(/^BASE_IMAGE=node:(20|22|24)-\w+-slim$/) });
    for (const s of stages) expect(s.args).toMatch(/^\$\{BASE_IMAGE\} AS \w+$/);
    expect(runtime.find((i) => i.op === 'USER')!.args).toBe('node');
    expect(runtime.find((i) => i.op === 'VOLUME')!.args).toContain('/data');
    expect(runtime.find((i) => i.op === 'HEALTHCHECK')!.args).toContain('/healthz');
    expect(runtime.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false); // no toolchain in the runtime image
    for (const name of Object.keys(envOf(runtime))) if (name.startsWith('STRATA_')) expect(knownEnv.has(name), name).toBe(true);
  });

  it('COPYs only files that exist, then runs npm ci and npm run build', () => {
    const copies = build.filter((i) => i.op === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const src of copies) expect(fs.existsSync(path.join(root, src)), src).toBe(true);
    const runs = build.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes('npm ci'))).toBe(true);
    expect(runs.some((r) => r.includes('npm run build'))).toBe(true);
  });

  it("npm ci's prepare and npm run build's postbuild are no-ops where the image has no scripts/ yet", () => {
    // `npm ci` runs the root package's `prepare` with only what was COPYed before it (no src/,
    // no scripts/), and `npm run build` runs `postbuild` without scripts/: both must succeed.
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const npmCi = build.findIndex((i) => i.op === 'RUN' && i.args.includes('npm ci'));
    const copiedBefore = build.slice(0, npmCi).filter((i) => i.op === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-docker-prepare-'));
    temps.push(dir);
    for (const src of copiedBefore) fs.cpSync(path.join(root, src), path.join(dir, src), { recursive: true });
    for (const name of ['prepare', 'postbuild']) {
      if (!pkg.scripts[name]) continue;
      const run = spawnSync('sh', ['-c', pkg.scripts[name]!], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      expect(run.status, `${name}: ${run.stdout}${run.stderr}`).toBe(0);
    }
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
  });
});

describe('Grafana dashboard (infra/grafana/strata-dashboard.json)', () => {
  it('parses and charts the broker metrics', () => {
    const d = JSON.parse(fs.readFileSync(path.join(infra, 'grafana', 'strata-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const metric of [
      'strata_topic_bytes_in_total',
      'strata_topic_records_out_total',
      'strata_request_duration_seconds_bucket',
      'strata_partition_errors_total',
      'strata_consumer_group_lag',
      'strata_worker_slot_partitions',
      'strata_worker_slot_queue_depth',
      'strata_open_connections',
      'strata_nodejs_eventloop_lag_p99_seconds',
      'strata_remote_storage_uploaded_bytes_total',
    ]) {
      expect(exprs).toContain(metric);
    }
  });
});
