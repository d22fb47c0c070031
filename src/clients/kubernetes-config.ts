import type { Config } from '../config/schema.js';
import { AppError } from '../lib/errors.js';
import { KubernetesClient, loadKubeConfig, type KubernetesApi } from './kubernetes.js';

/** The Kubernetes client the config asks for, or undefined for mode=none (actions can then only plan). */
export function createKubeClientFromConfig(config: Config['kubernetes']): KubernetesApi | undefined {
  switch (config.mode) {
    case 'none':
      return undefined;
    case 'in-cluster':
      return new KubernetesClient(loadKubeConfig({ kind: 'in-cluster' }));
    case 'kubeconfig':
      if (!config.kubeconfigPath) throw new AppError('invalid_config', 'kubernetes.kubeconfigPath is required when kubernetes.mode is kubeconfig');
      return new KubernetesClient(loadKubeConfig({ kind: 'file', path: config.kubeconfigPath }));
    case 'url':
      if (!config.url) throw new AppError('invalid_config', 'kubernetes.url is required when kubernetes.mode is url');
      return new KubernetesClient(loadKubeConfig({ kind: 'server', server: config.url }));
  }
}
