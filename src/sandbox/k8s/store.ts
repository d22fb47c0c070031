/**
 * Object storage of the sandbox apiserver: one map keyed by group/resource/namespace/name, a global
 * resourceVersion counter (handed out as strings, like etcd revisions), metadata.generation bumped when
 * spec changes, and per-object counters of real (non-dry-run) writes that changed something.
 */
import { randomUUID } from 'node:crypto';
import { deepEqual } from './patch.js';
import type { LabelSelector } from './selectors.js';
import { clone, type K8sObject, type ObjectKey } from './types.js';

export interface StoreChange {
  readonly type: 'ADDED' | 'MODIFIED';
  readonly key: ObjectKey;
  readonly object: K8sObject;
  readonly previous: K8sObject | undefined;
}

export type StoreListener = (change: StoreChange) => void;

export function keyString(key: ObjectKey): string {
  return `${key.group}/${key.resource}/${key.namespace}/${key.name}`;
}

export class K8sStore {
  private readonly objects = new Map<string, K8sObject>();
  private readonly writeCounts = new Map<string, number>();
  private readonly listeners = new Set<StoreListener>();
  private revision: number;

  constructor(startRevision = 1000) {
    this.revision = startRevision;
  }

  /** The latest resourceVersion handed out (what a list reports). */
  resourceVersion(): string {
    return String(this.revision);
  }

  get(key: ObjectKey): K8sObject | undefined {
    const found = this.objects.get(keyString(key));
    return found === undefined ? undefined : clone(found);
  }

  /** Objects of one resource, in one namespace ('' = all), sorted by namespace then name. */
  list(group: string, resource: string, namespace: string, selector?: LabelSelector): K8sObject[] {
    const prefix = `${group}/${resource}/`;
    const out: K8sObject[] = [];
    for (const [k, obj] of this.objects) {
      if (!k.startsWith(prefix)) continue;
      if (namespace !== '' && (obj.metadata?.namespace ?? '') !== namespace) continue;
      if (selector !== undefined && !selector(obj.metadata?.labels)) continue;
      out.push(clone(obj));
    }
    return out.sort((a, b) =>
      `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`.localeCompare(`${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`),
    );
  }

  /**
   * What an object would look like once created (system fields filled), without storing it.
   * A dry-run create answers with this; its resourceVersion stays empty as the apiserver's does.
   */
  prepareCreate(key: ObjectKey, obj: K8sObject): K8sObject {
    const out = clone(obj);
    out.metadata = {
      ...(out.metadata ?? {}),
      name: key.name,
      ...(key.namespace === '' ? {} : { namespace: key.namespace }),
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      generation: 1,
    };
    delete out.metadata.resourceVersion;
    return out;
  }

  /** Store a new object (prepared by prepareCreate). */
  create(key: ObjectKey, prepared: K8sObject, countWrite = true): K8sObject {
    const stored = clone(prepared);
    stored.metadata = { ...(stored.metadata ?? {}), resourceVersion: this.nextRevision() };
    this.objects.set(keyString(key), stored);
    if (countWrite) this.countWrite(key);
    this.emit({ type: 'ADDED', key, object: clone(stored), previous: undefined });
    return clone(stored);
  }

  /**
   * The object an update would store: system fields kept from `current`, generation bumped when spec
   * changed. Returns `changed: false` when nothing but the resourceVersion would differ (a no-op write,
   * which the apiserver does not persist and which does not bump the resourceVersion).
   */
  prepareUpdate(current: K8sObject, next: K8sObject): { object: K8sObject; changed: boolean } {
    const out = clone(next);
    const meta = current.metadata ?? {};
    out.metadata = {
      ...(out.metadata ?? {}),
      name: meta.name,
      ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
      uid: meta.uid,
      creationTimestamp: meta.creationTimestamp,
      resourceVersion: meta.resourceVersion,
      generation: meta.generation ?? 1,
    };
    if (!deepEqual(current.spec, out.spec)) out.metadata.generation = (meta.generation ?? 1) + 1;
    return { object: out, changed: !deepEqual(current, out) };
  }

  /** Store an update prepared by prepareUpdate (only call when it changed something). */
  commitUpdate(key: ObjectKey, prepared: K8sObject, countWrite = true): K8sObject {
    const previous = this.objects.get(keyString(key));
    const stored = clone(prepared);
    stored.metadata = { ...(stored.metadata ?? {}), resourceVersion: this.nextRevision() };
    this.objects.set(keyString(key), stored);
    if (countWrite) this.countWrite(key);
    this.emit({ type: 'MODIFIED', key, object: clone(stored), previous: previous === undefined ? undefined : clone(previous) });
    return clone(stored);
  }

  /**
   * Change an object as another actor would (a controller, a person with kubectl): bumps the
   * resourceVersion (and generation on spec change) but is not counted in writes(). For tests and the demo.
   */
  mutate(key: ObjectKey, change: (obj: K8sObject) => void): K8sObject {
    const current = this.objects.get(keyString(key));
    if (current === undefined) throw new Error(`no such object ${keyString(key)}`);
    const next = clone(current);
    change(next);
    const { object, changed } = this.prepareUpdate(current, next);
    return changed ? this.commitUpdate(key, object, false) : clone(current);
  }

  /** Real writes through the API that changed this object (creates included). */
  writes(key: ObjectKey): number {
    return this.writeCounts.get(keyString(key)) ?? 0;
  }

  totalWrites(): number {
    let n = 0;
    for (const v of this.writeCounts.values()) n += v;
    return n;
  }

  resetWrites(): void {
    this.writeCounts.clear();
  }

  /** Be told of every stored change (e.g. to simulate a controller in the demo). Returns an unsubscribe. */
  onChange(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private nextRevision(): string {
    this.revision += 1;
    return String(this.revision);
  }

  private countWrite(key: ObjectKey): void {
    const k = keyString(key);
    this.writeCounts.set(k, (this.writeCounts.get(k) ?? 0) + 1);
  }

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not fail the write that triggered it.
      }
    }
  }
}
