import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { parsePolicy } from '../../../src/policy/rules.js';
import { BASE, DEPLOY, OVERLAY, readKustomization, renderKustomization, resourceObjects } from './deploy.js';
import { arr, at, isObj, listFiles, readYamlDocs, rel, ROOT, type Json } from './files.js';
import { find, KINDS, kindOf, nameOf, validateObject } from './k8s.js';
import { podTemplateProblems } from './workload.js';

const base = readKustomization(BASE);
const overlay = readKustomization(OVERLAY);
const baseObjects = resourceObjects(base);
const rendered = renderKustomization(OVERLAY);
if (!rendered) console.warn('[skip] kubectl is not installed: the rendered example overlay is not checked');

describe('deploy/ files', () => {
  it('every kustomization names only paths that exist, and the overlay builds on the base', () => {
    expect(base.missing).toEqual([]);
    expect(overlay.missing).toEqual([]);
    expect(overlay.resourceDirs).toContain(BASE);
  });

  it('every YAML file under deploy/ is a kustomization, a resource, a patch or a generator input', () => {
    const used = new Set([...base.resourceFiles, ...base.patchFiles, ...overlay.resourceFiles, ...overlay.patchFiles, ...[...base.generatorFiles, ...overlay.generatorFiles].map((g) => g.file)]);
    const orphans = listFiles(DEPLOY, ['.yaml', '.yml']).filter((f) => path.basename(f) !== 'kustomization.yaml' && !used.has(f));
    expect(orphans.map(rel)).toEqual([]);
  });

  const all = [...baseObjects, ...resourceObjects(overlay)];
  it.each(all.map(({ file, obj }) => [`${file}: ${kindOf(obj)} ${nameOf(obj)}`, obj] as const))('%s is a valid manifest', (_label, obj) => {
    expect(validateObject(obj)).toEqual([]);
  });

  it.each(overlay.patchFiles.map((f) => [rel(f)]))('patch %s names a known kind and only known fields', (file) => {
    for (const doc of readYamlDocs(path.join(ROOT, file))) expect(validateObject(doc, { partial: true })).toEqual([]);
  });

  it('the validator rejects a typo, a missing required field and an unknown kind', () => {
    const deployment = structuredClone(find(baseObjects.map((o) => o.obj), 'Deployment', 'aiopsd')[0]) as Json;
    (at(deployment, 'spec', 'template', 'spec', 'containers', 0) as Json).readinesProbe = {};
    expect(validateObject(deployment).join()).toMatch(/unknown field spec\.template\.spec\.containers\[0\]\.readinesProbe/);
    expect(validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: {} }).join()).toMatch(/spec\.ports/);
    expect(validateObject({ apiVersion: 'v1', kind: 'Frobnicator', metadata: { name: 'x' } }).join()).toMatch(/unknown kind/);
  });

  it('the base is namespace-less; every object has the app labels', () => {
    for (const { obj } of baseObjects) {
      expect(at(obj, 'metadata', 'namespace'), `${kindOf(obj)} ${nameOf(obj)}`).toBeUndefined();
      expect(at(obj, 'metadata', 'labels', 'app.kubernetes.io/name'), `${kindOf(obj)} ${nameOf(obj)}`).toBe('aiopsd');
    }
  });
});

describe('the aiopsd configuration shipped in the ConfigMap', () => {
  const deployment = find(baseObjects.map((o) => o.obj), 'Deployment', 'aiopsd')[0] as Json;
  const container = at(deployment, 'spec', 'template', 'spec', 'containers', 0) as Json;
  const files = base.generatorFiles.filter((g) => g.generator === 'aiopsd-config');
  const configFile = files.find((g) => g.key === 'config.yaml')?.file ?? '';
  const policyFile = files.find((g) => g.key === 'policy.yaml')?.file ?? '';
  const mount = arr(container.volumeMounts).find((m) => at(m, 'name') === 'config');
  const envFromDeployment: Record<string, string> = {};
  const fake: Record<string, string> = { REDIS_URL: 'redis://redis:6379', DATABASE_URL: 'postgres://aiopsd@postgres:5432/aiopsd', AIOPSD_AUDIT_CHECKPOINT_KEY: 'k' };
  for (const e of arr(container.env)) {
    const name = String(at(e, 'name'));
    envFromDeployment[name] = at(e, 'value') !== undefined ? String(at(e, 'value')) : (fake[name] ?? 'x');
  }

  it('is mounted at /etc/aiopsd and named by --config', () => {
    expect(configFile).not.toBe('');
    expect(policyFile).not.toBe('');
    expect(at(mount, 'mountPath')).toBe('/etc/aiopsd');
    expect(at(mount, 'readOnly')).toBe(true);
    const volume = arr(at(deployment, 'spec', 'template', 'spec', 'volumes')).find((v) => at(v, 'name') === 'config');
    expect(at(volume, 'configMap', 'name')).toBe('aiopsd-config');
    const args = arr(container.args).map(String);
    expect(args[0]).toBe('serve');
    expect(args[args.indexOf('--config') + 1]).toBe('/etc/aiopsd/config.yaml');
  });

  it('loads with the Deployment environment exactly as the daemon would (no unknown AIOPSD_* variable)', () => {
    const config = loadConfig({ file: configFile, env: envFromDeployment });
    expect(config.kubernetes.mode).toBe('in-cluster');
    expect(config.policy.dryRun).toBe(true);
    expect(config.policy.file).toBe('/etc/aiopsd/policy.yaml');
    expect(config.redis.url).toBe(fake.REDIS_URL);
    expect(config.database.url).toBe(fake.DATABASE_URL);
    expect(config.redis.requireNoeviction).toBe(true);
    const ports = arr(container.ports).map((p) => at(p, 'containerPort'));
    expect(ports).toContain(config.server.port);
    const mounts = arr(container.volumeMounts).map((m) => at(m, 'mountPath'));
    expect(mounts).toContain(config.dataDir);
    const grace = Number(at(deployment, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds'));
    expect(config.shutdownDeadlineMs).toBeLessThan(grace * 1000);
  });

  it('needs enableServiceLinks: false: a Service named aiopsd would inject variables the config loader rejects', () => {
    const serviceLinks = { AIOPSD_SERVICE_HOST: '10.0.0.1', AIOPSD_PORT: 'tcp://10.0.0.1:8080' };
    expect(() => loadConfig({ file: configFile, env: { ...envFromDeployment, ...serviceLinks } })).toThrow(/AIOPSD_SERVICE_HOST|AIOPSD_PORT/);
  });

  it('the pod rules catch a root, writable or unprobed container', () => {
    const bad = structuredClone(deployment);
    const c = at(bad, 'spec', 'template', 'spec', 'containers', 0) as Json;
    (c.securityContext as Json).readOnlyRootFilesystem = false;
    (c.securityContext as Json).runAsNonRoot = false;
    delete c.readinessProbe;
    const problems = podTemplateProblems(bad).join('\n');
    expect(problems).toMatch(/readOnlyRootFilesystem/);
    expect(problems).toMatch(/runAsNonRoot/);
    expect(problems).toMatch(/readinessProbe/);
  });

  it('ships a valid policy in dry run', () => {
    expect(parsePolicy(readFileSync(policyFile, 'utf8'), rel(policyFile)).dryRun).toBe(true);
  });
});

const objectSets: Array<[string, unknown[]]> = [['base', baseObjects.map((o) => o.obj)]];
if (rendered) objectSets.push(['rendered example overlay', rendered]);

describe.each(objectSets)('workload, network and availability invariants (%s)', (_name, objs) => {
  const deployments = find(objs, 'Deployment');
  const deployment = deployments[0] as Json;
  const podLabels = at(deployment, 'spec', 'template', 'metadata', 'labels') as Json;
  const matches = (selector: unknown): boolean => isObj(selector) && Object.entries(selector).every(([k, v]) => podLabels[k] === v);

  it('ships exactly one Deployment, whose pods meet the hardening and probe rules', () => {
    expect(deployments.map(nameOf)).toEqual(['aiopsd']);
    expect(podTemplateProblems(deployment)).toEqual([]);
  });

  it('a default-deny NetworkPolicy plus the flows aiopsd needs', () => {
    const policies = find(objs, 'NetworkPolicy');
    const denyAll = policies.filter((p) => {
      const selector = at(p, 'spec', 'podSelector');
      const types = arr(at(p, 'spec', 'policyTypes'));
      return isObj(selector) && Object.keys(selector).length === 0 && types.includes('Ingress') && types.includes('Egress') && !at(p, 'spec', 'ingress') && !at(p, 'spec', 'egress');
    });
    expect(denyAll.length).toBe(1);
    const mine = policies.filter((p) => matches(at(p, 'spec', 'podSelector', 'matchLabels')));
    const portsOf = (dir: 'ingress' | 'egress'): unknown[] => mine.flatMap((p) => arr(at(p, 'spec', dir)).flatMap((r) => arr(at(r, 'ports')).map((x) => at(x, 'port'))));
    expect(portsOf('ingress')).toEqual([8080]);
    for (const port of [53, 6379, 5432, 443, 6443]) expect(portsOf('egress'), `egress ${port}`).toContain(port);
  });

  it('a PodDisruptionBudget keeps one pod, and Service and ServiceMonitor select the pods', () => {
    const pdb = find(objs, 'PodDisruptionBudget');
    expect(pdb.length).toBe(1);
    expect(at(pdb[0], 'spec', 'minAvailable')).toBe(1);
    expect(matches(at(pdb[0], 'spec', 'selector', 'matchLabels'))).toBe(true);
    const service = find(objs, 'Service', 'aiopsd')[0] as Json;
    expect(matches(at(service, 'spec', 'selector'))).toBe(true);
    const port = arr(at(service, 'spec', 'ports'))[0];
    expect([at(port, 'port'), at(port, 'name'), at(port, 'targetPort')]).toEqual([8080, 'http', 'http']);
    const monitor = find(objs, 'ServiceMonitor', 'aiopsd')[0] as Json;
    const svcLabels = at(service, 'metadata', 'labels') as Json;
    expect(Object.entries(at(monitor, 'spec', 'selector', 'matchLabels') as Json).every(([k, v]) => svcLabels[k] === v)).toBe(true);
    expect(arr(at(monitor, 'spec', 'endpoints')).map((e) => [at(e, 'port'), at(e, 'path')])).toEqual([['http', '/metrics']]);
  });
});

describe.skipIf(!rendered)('the rendered example overlay', () => {
  const objs = rendered ?? [];
  it('puts every namespaced object in a namespace (aiopsd, or the opted-in one) and none on cluster objects', () => {
    for (const o of objs) {
      const spec = KINDS[kindOf(o)];
      const ns = at(o, 'metadata', 'namespace');
      if (spec?.namespaced) expect(ns, `${kindOf(o)} ${nameOf(o)}`).toBe(kindOf(o) === 'RoleBinding' && nameOf(o) === 'aiopsd-write' ? 'shop' : 'aiopsd');
      else expect(ns, `${kindOf(o)} ${nameOf(o)}`).toBeUndefined();
    }
  });

  it('mounts the generated (hash-suffixed) ConfigMap and sets the image', () => {
    const cm = find(objs, 'ConfigMap').filter((c) => nameOf(c).startsWith('aiopsd-config-'));
    expect(cm.length).toBe(1);
    const volumes = arr(at(find(objs, 'Deployment', 'aiopsd')[0], 'spec', 'template', 'spec', 'volumes'));
    expect(at(volumes.find((v) => at(v, 'name') === 'config'), 'configMap', 'name')).toBe(nameOf(cm[0]));
    expect(Object.keys(at(cm[0], 'data') as Json).sort()).toEqual(['config.yaml', 'policy.yaml']);
    expect(at(find(objs, 'Deployment', 'aiopsd')[0], 'spec', 'template', 'spec', 'containers', 0, 'image')).toMatch(/^[^:]+\/aiopsd:\d+\.\d+\.\d+$/);
    expect(find(objs, 'Namespace', 'aiopsd').length).toBe(1);
  });
});
