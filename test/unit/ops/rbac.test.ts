import { describe, expect, it } from 'vitest';
import { BASE, OVERLAY, readKustomization, renderKustomization, resourceObjects } from './deploy.js';
import { arr, at, type Json } from './files.js';
import { find, kindOf, nameOf } from './k8s.js';

/** "Kubernetes RBAC aiopsd needs" (shared/reference/protocols.md), as group/resource. */
const READ = [
  'autoscaling/horizontalpodautoscalers', 'apps/deployments', 'apps/replicasets', '/pods', '/services', '/endpoints',
  'discovery.k8s.io/endpointslices', 'networking.istio.io/virtualservices', 'networking.istio.io/destinationrules',
  'argoproj.io/rollouts', 'flagger.app/canaries', 'k8gb.absa.oss/gslbs',
];
const WRITE = [
  'autoscaling/horizontalpodautoscalers', 'networking.istio.io/destinationrules', 'networking.istio.io/virtualservices',
  'k8gb.absa.oss/gslbs', 'argoproj.io/rollouts/status', '/pods',
];
const WORKLOADS = ['pods', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'replicationcontrollers'];
const FORBIDDEN_VERBS = ['delete', 'deletecollection', 'escalate', 'bind', 'impersonate', '*'];

/** Every (group/resource, verb, resourceNames) a role grants. */
function grants(role: Json): Array<{ gr: string; verb: string; names: string[] }> {
  return arr(role.rules).flatMap((r) =>
    arr(at(r, 'apiGroups')).flatMap((g) =>
      arr(at(r, 'resources')).flatMap((res) =>
        arr(at(r, 'verbs')).map((v) => ({ gr: `${String(g)}/${String(res)}`, verb: String(v), names: arr(at(r, 'resourceNames')).map(String) })),
      ),
    ),
  );
}
const summary = (role: Json): string[] => [...new Set(grants(role).map((g) => `${g.gr}:${g.verb}${g.names.length ? `[${g.names.join(',')}]` : ''}`))].sort();
const expected = (resources: string[], verbs: string[]): string[] => resources.flatMap((r) => verbs.map((v) => `${r}:${v}`)).sort();

const sets: Array<[string, unknown[]]> = [['base', resourceObjects(readKustomization(BASE)).map((o) => o.obj)]];
const rendered = renderKustomization(OVERLAY);
if (rendered) sets.push(['rendered example overlay', rendered]);

describe.each(sets)('RBAC (%s)', (_name, objs) => {
  const roles = [...find(objs, 'ClusterRole'), ...find(objs, 'Role')];

  it('has no wildcard and no delete, escalate, bind or impersonate verb', () => {
    for (const role of roles) {
      for (const rule of arr(role.rules)) {
        for (const key of ['verbs', 'resources', 'apiGroups', 'resourceNames', 'nonResourceURLs']) {
          expect(arr(at(rule, key)).filter((v) => String(v).includes('*')), `${nameOf(role)} ${key}`).toEqual([]);
        }
      }
      expect(grants(role).filter((g) => FORBIDDEN_VERBS.includes(g.verb)), nameOf(role)).toEqual([]);
    }
  });

  it('never creates workloads, and no ClusterRole touches secrets', () => {
    for (const role of roles) {
      const bad = grants(role).filter((g) => g.verb === 'create' && WORKLOADS.includes(g.gr.split('/')[1] ?? ''));
      expect(bad, nameOf(role)).toEqual([]);
      const secrets = grants(role).filter((g) => g.gr.split('/')[1] === 'secrets');
      expect(secrets, `${kindOf(role)} ${nameOf(role)} must not grant secrets`).toEqual([]);
    }
  });

  it('aiopsd-read is get/list/watch on exactly the watched resources', () => {
    const [read] = find(objs, 'ClusterRole', 'aiopsd-read');
    expect(summary(read as Json)).toEqual(expected(READ, ['get', 'list', 'watch']));
  });

  it('aiopsd-write is patch only, on exactly the remediated resources (no deployments/scale by default)', () => {
    const [write] = find(objs, 'ClusterRole', 'aiopsd-write');
    expect(summary(write as Json)).toEqual(expected(WRITE, ['patch']));
  });

  it('the Role in aiopsd\'s namespace covers its Lease and Events only', () => {
    const [role] = find(objs, 'Role', 'aiopsd');
    expect(summary(role as Json)).toEqual(
      [
        'coordination.k8s.io/leases:create',
        ...['get', 'update', 'patch'].map((v) => `coordination.k8s.io/leases:${v}[aiopsd-leader]`),
        ...['/events', 'events.k8s.io/events'].flatMap((r) => ['create', 'patch'].map((v) => `${r}:${v}`)),
      ].sort(),
    );
  });

  it('binds read cluster-wide, the Role in its namespace, and write only through RoleBindings', () => {
    const crbs = find(objs, 'ClusterRoleBinding');
    expect(crbs.map((b) => at(b, 'roleRef', 'name'))).toEqual(['aiopsd-read']);
    const rbs = find(objs, 'RoleBinding');
    for (const b of [...crbs, ...rbs]) {
      expect(arr(b.subjects).map((s) => [at(s, 'kind'), at(s, 'name')]), nameOf(b)).toEqual([['ServiceAccount', 'aiopsd']]);
      expect(at(b, 'roleRef', 'name')).not.toBe('cluster-admin');
    }
    const own = rbs.filter((b) => at(b, 'roleRef', 'kind') === 'Role');
    expect(own.map((b) => at(b, 'roleRef', 'name'))).toEqual(['aiopsd']);
    for (const b of rbs.filter((x) => at(x, 'roleRef', 'kind') === 'ClusterRole')) expect(at(b, 'roleRef', 'name')).toBe('aiopsd-write');
  });

  it('the ServiceAccount mounts no token by default; only the aiopsd pod opts in', () => {
    expect(at(find(objs, 'ServiceAccount', 'aiopsd')[0], 'automountServiceAccountToken')).toBe(false);
    expect(at(find(objs, 'Deployment', 'aiopsd')[0], 'spec', 'template', 'spec', 'automountServiceAccountToken')).toBe(true);
  });
});

describe('opting a namespace in (example overlay)', () => {
  const objs = rendered ?? resourceObjects(readKustomization(OVERLAY)).map((o) => o.obj);
  it('ships one RoleBinding to aiopsd-write in the opted-in namespace, for the aiopsd ServiceAccount', () => {
    const writes = find(objs, 'RoleBinding').filter((b) => at(b, 'roleRef', 'name') === 'aiopsd-write');
    expect(writes.length).toBe(1);
    expect(at(writes[0], 'metadata', 'namespace')).toBe('shop');
    expect(at(writes[0], 'roleRef', 'kind')).toBe('ClusterRole');
    expect(arr(at(writes[0], 'subjects')).map((s) => [at(s, 'name'), at(s, 'namespace')])).toEqual([['aiopsd', 'aiopsd']]);
  });

  it.skipIf(!rendered)('every ServiceAccount subject names aiopsd\'s namespace after rendering', () => {
    for (const b of [...find(objs, 'RoleBinding'), ...find(objs, 'ClusterRoleBinding')]) {
      for (const s of arr(b.subjects)) expect(at(s, 'namespace'), nameOf(b)).toBe('aiopsd');
    }
  });
});
