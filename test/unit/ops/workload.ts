import { arr, at, isObj, type Json } from './files.js';

/**
 * Hardening and operability rules for aiopsd's pod template (promise 21): non-root, read-only root
 * filesystem, no privilege escalation, no capabilities, seccomp, probes, resources, writable paths
 * only on emptyDir volumes, secrets by reference, no service-link variables.
 */
export function podTemplateProblems(workload: Json): string[] {
  const errs: string[] = [];
  const pod = at(workload, 'spec', 'template', 'spec') as Json;
  const psc = (pod.securityContext ?? {}) as Json;
  const err = (cond: boolean, msg: string): void => {
    if (!cond) errs.push(msg);
  };

  err(at(workload, 'spec', 'replicas') === 2, 'replicas must be 2');
  err(psc.runAsNonRoot === true, 'pod securityContext.runAsNonRoot must be true');
  err(psc.runAsUser === 10001, 'pod securityContext.runAsUser must be 10001 (the image user)');
  err(at(psc, 'seccompProfile', 'type') === 'RuntimeDefault', 'pod seccompProfile must be RuntimeDefault');
  err(pod.hostNetwork !== true && pod.hostPID !== true && pod.hostIPC !== true, 'no host namespaces');
  err(pod.enableServiceLinks === false, 'enableServiceLinks must be false (service links inject AIOPSD_* variables aiopsd rejects)');
  err(pod.serviceAccountName === 'aiopsd', 'serviceAccountName must be aiopsd');
  err(arr(pod.topologySpreadConstraints).length > 0, 'topologySpreadConstraints must spread the replicas');
  const volumes = new Map(arr(pod.volumes).map((v) => [String(at(v, 'name')), v as Json]));
  err(![...volumes.values()].some((v) => v.hostPath !== undefined), 'no hostPath volumes');

  const containers = [...arr(pod.initContainers), ...arr(pod.containers)] as Json[];
  for (const c of containers) {
    const name = String(c.name);
    const sc = (c.securityContext ?? {}) as Json;
    err((sc.runAsNonRoot ?? psc.runAsNonRoot) === true, `${name}: runAsNonRoot`);
    err(sc.runAsUser === undefined || sc.runAsUser !== 0, `${name}: runAsUser must not be 0`);
    err(sc.readOnlyRootFilesystem === true, `${name}: readOnlyRootFilesystem must be true`);
    err(sc.allowPrivilegeEscalation === false, `${name}: allowPrivilegeEscalation must be false`);
    err(sc.privileged !== true, `${name}: must not be privileged`);
    err(arr(at(sc, 'capabilities', 'drop')).includes('ALL'), `${name}: capabilities.drop must include ALL`);
    err(arr(at(sc, 'capabilities', 'add')).length === 0, `${name}: must not add capabilities`);
    for (const r of ['requests', 'limits']) {
      for (const k of ['cpu', 'memory']) err(at(c, 'resources', r, k) !== undefined, `${name}: resources.${r}.${k} must be set`);
    }
    for (const e of arr(c.env)) {
      const envName = String(at(e, 'name'));
      if (/URL|KEY|TOKEN|SECRET|PASSWORD/.test(envName)) err(at(e, 'valueFrom', 'secretKeyRef', 'name') === 'aiopsd-secrets', `${name}: ${envName} must come from Secret aiopsd-secrets`);
    }
    err(arr(c.envFrom).length === 0, `${name}: no envFrom (an extra AIOPSD_* key would stop startup)`);
    // every writable mount is an emptyDir; everything else is read-only
    for (const m of arr(c.volumeMounts)) {
      const v = volumes.get(String(at(m, 'name')));
      err(v !== undefined, `${name}: volumeMount ${String(at(m, 'name'))} has no volume`);
      if (v && v.emptyDir === undefined) err(at(m, 'readOnly') === true, `${name}: ${String(at(m, 'mountPath'))} must be read-only`);
    }
  }

  const main = arr(pod.containers)[0] as Json | undefined;
  if (!main) return [...errs, 'no container'];
  const probePath = (p: string): unknown => at(main, p, 'httpGet', 'path');
  err(probePath('readinessProbe') === '/readyz', 'readinessProbe must GET /readyz');
  err(probePath('livenessProbe') === '/healthz', 'livenessProbe must GET /healthz');
  err(isObj(main.startupProbe), 'startupProbe must be set');
  const portNames = arr(main.ports).map((p) => at(p, 'name'));
  for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    const port = at(main, p, 'httpGet', 'port');
    err(port === 8080 || portNames.includes(port), `${p} port ${String(port)} is not a container port`);
  }
  const mountAt = (dir: string): Json | undefined => volumes.get(String(at(arr(main.volumeMounts).find((m) => at(m, 'mountPath') === dir), 'name')));
  err(mountAt('/tmp')?.emptyDir !== undefined, '/tmp must be an emptyDir');
  err(mountAt('/var/lib/aiopsd')?.emptyDir !== undefined, '/var/lib/aiopsd (dataDir) must be an emptyDir');
  const env = new Map(arr(main.env).map((e) => [String(at(e, 'name')), e]));
  for (const k of ['REDIS_URL', 'DATABASE_URL', 'AIOPSD_AUDIT_CHECKPOINT_KEY']) err(env.has(k), `env ${k} must be set from aiopsd-secrets`);
  err(at(env.get('REDIS_URL'), 'valueFrom', 'secretKeyRef', 'optional') === false, 'REDIS_URL must be optional: false');
  err(at(env.get('DATABASE_URL'), 'valueFrom', 'secretKeyRef', 'optional') === false, 'DATABASE_URL must be optional: false with 2 replicas (PGlite is for one)');
  return errs;
}
