import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { arr, at, isObj, readYaml, readYamlDocs, rel, ROOT } from './files.js';

export const DEPLOY = path.join(ROOT, 'deploy');
export const BASE = path.join(DEPLOY, 'base');
export const OVERLAY = path.join(DEPLOY, 'overlays/example');

export interface Kustomization {
  dir: string;
  /** Files listed in resources (full manifests), and kustomization directories listed there. */
  resourceFiles: string[];
  resourceDirs: string[];
  patchFiles: string[];
  /** Files read by configMapGenerator/secretGenerator, by the key they get. */
  generatorFiles: Array<{ generator: string; key: string; file: string }>;
  missing: string[];
}

/** Read one kustomization.yaml (not its bases) and resolve every path it names. */
export function readKustomization(dir: string): Kustomization {
  const k = readYaml(path.join(dir, 'kustomization.yaml'));
  const out: Kustomization = { dir, resourceFiles: [], resourceDirs: [], patchFiles: [], generatorFiles: [], missing: [] };
  for (const r of arr(at(k, 'resources')).map(String)) {
    const full = path.resolve(dir, r);
    if (!existsSync(full)) out.missing.push(r);
    else if (statSync(full).isDirectory()) out.resourceDirs.push(full);
    else out.resourceFiles.push(full);
  }
  for (const p of [...arr(at(k, 'patches')), ...arr(at(k, 'patchesStrategicMerge'))]) {
    const file = typeof p === 'string' ? p : at(p, 'path');
    if (typeof file !== 'string') continue;
    const full = path.resolve(dir, file);
    if (existsSync(full)) out.patchFiles.push(full);
    else out.missing.push(file);
  }
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const g of arr(at(k, key))) {
      for (const f of arr(at(g, 'files')).map(String)) {
        const [name, file] = f.includes('=') ? (f.split('=', 2) as [string, string]) : [path.basename(f), f];
        const full = path.resolve(dir, file);
        if (existsSync(full)) out.generatorFiles.push({ generator: String(at(g, 'name')), key: name, file: full });
        else out.missing.push(file);
      }
    }
  }
  return out;
}

/** The objects of a kustomization's own resource files (not rendered; the base stays namespace-less). */
export function resourceObjects(k: Kustomization): Array<{ file: string; obj: Record<string, unknown> }> {
  return k.resourceFiles.flatMap((file) => readYamlDocs(file).map((obj) => ({ file: rel(file), obj: obj as Record<string, unknown> })));
}

export const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

/** `kubectl kustomize DIR`, parsed; undefined when kubectl is missing. */
export function renderKustomization(dir: string): unknown[] | undefined {
  if (!hasKubectl) return undefined;
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${rel(dir)} failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout).flatMap((d) => {
    const v: unknown = d.toJS();
    return isObj(v) ? [v] : [];
  });
}
