import type { K8sObject } from '../sandbox/k8s-api-server.js';
import { DEMO_NAMESPACE as NS } from './rules.js';

/** The demo's services, their pods and their starting replica counts. */
export const DEMO_SERVICES = ['frontend', 'checkout', 'payments', 'catalog'] as const;
export type DemoService = (typeof DEMO_SERVICES)[number];
export const REGIONS = ['eu', 'us'] as const;

/** Pod names per Deployment: stable suffixes so a run is repeatable. */
export function podNames(deployment: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${deployment}-7d9f${i}-${['abcde', 'fghij', 'klmno', 'pqrst'][i] ?? 'uvwxy'}`);
}

const REPLICAS: Record<string, number> = { frontend: 2, checkout: 2, payments: 3, catalog: 2, 'catalog-canary': 1 };

function deployment(name: string, app: string, version: string): K8sObject {
  const labels = { app, version };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels },
    spec: {
      replicas: REPLICAS[name] ?? 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: app, image: `demo/${app}:${version === 'canary' ? '1.1' : '1.0'}` }] } },
    },
  };
}

function pod(name: string, app: string, version: string): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app, version } },
    spec: { containers: [{ name: app, image: `demo/${app}:1.0` }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** Everything the demo's remediations read and write: Deployments, HPAs, Services, Pods, the Istio canary, the Gslb. */
export function demoObjects(): K8sObject[] {
  const out: K8sObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }];
  for (const svc of DEMO_SERVICES) {
    out.push(deployment(svc, svc, 'stable'));
    out.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: svc, namespace: NS },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: svc }, minReplicas: REPLICAS[svc] ?? 1, maxReplicas: 10, metrics: [] },
    });
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: svc, namespace: NS }, spec: { selector: { app: svc }, ports: [{ port: 80, targetPort: 8080 }] } });
    for (const name of podNames(svc, REPLICAS[svc] ?? 1)) out.push(pod(name, svc, 'stable'));
  }
  out.push(deployment('catalog-canary', 'catalog', 'canary'));
  for (const name of podNames('catalog-canary', 1)) out.push(pod(name, 'catalog', 'canary'));
  out.push({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: 'catalog', namespace: NS },
    spec: {
      hosts: ['catalog'],
      http: [{ name: 'primary', route: [{ destination: { host: 'catalog', subset: 'stable' }, weight: 75 }, { destination: { host: 'catalog', subset: 'canary' }, weight: 25 }] }],
    },
  });
  out.push({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: { name: 'catalog', namespace: NS },
    spec: { host: 'catalog', subsets: [{ name: 'stable', labels: { version: 'stable' } }, { name: 'canary', labels: { version: 'canary' } }] },
  });
  out.push({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: { name: 'payments', namespace: NS },
    spec: { host: 'payments', trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 100 } } } },
  });
  out.push({
    apiVersion: 'k8gb.absa.oss/v1beta1',
    kind: 'Gslb',
    metadata: { name: 'frontend', namespace: NS },
    spec: {
      ingress: { rules: [{ host: 'shop.demo.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'frontend', port: { number: 80 } } } }] } }] },
      strategy: { type: 'roundRobin', dnsTtlSeconds: 30, weight: { eu: 50, us: 50 } },
    },
  });
  return out;
}
