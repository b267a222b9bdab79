/**
 * An in-memory ReleaseStore with the Secrets driver's semantics (as helm's driver.Memory is to
 * its Secrets driver): create refuses an existing revision (ReleaseExists), update is a
 * compare-and-swap on a resourceVersion counter (ConcurrentUpdate), the 1 MiB limit and release
 * names are checked, and records are deep-copied in and out so no caller shares state with it.
 * It passes the same contract suite as the Secrets driver; tests and local runs use it.
 */
import { encodeForSecret } from '../release/codec.ts';
import { ReleaseNotFound, RevisionNotFound, type ReleaseRef } from '../release/errors.ts';
import { customLabelsOf, secretName, validateReleaseName } from '../release/lifecycle.ts';
import type { Labels, Release } from '../release/record.ts';
import { ConcurrentUpdate, ReleaseExists } from './errors.ts';
import type { ReleaseStore, StoredRelease } from './release-store.ts';

interface Entry {
  readonly release: Release;
  readonly labels: Labels;
  readonly resourceVersion: string;
  readonly createdAt: string;
}

/** A record to start from: a release, optionally with its custom labels. */
export type Seed = Release | { readonly release: Release; readonly labels?: Labels };

function isLabelled(s: Seed): s is { readonly release: Release; readonly labels?: Labels } {
  return !('info' in s);
}

function key(namespace: string, name: string, version: number): string {
  return `${namespace}/${name}/${version}`;
}

function refOf(r: Release): ReleaseRef {
  return { namespace: r.namespace ?? '', name: r.name };
}

export class MemoryReleaseStore implements ReleaseStore {
  private readonly entries = new Map<string, Entry>();
  private counter = 0;

  constructor(
    seeds: readonly Seed[] = [],
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const s of seeds) {
      if (isLabelled(s)) this.put(s.release, s.labels ?? {});
      else this.put(s, {});
    }
  }

  history(ref: ReleaseRef): Promise<StoredRelease[]> {
    return this.run(() => {
      validateReleaseName(ref.name);
      return this.historyOf(ref);
    });
  }

  get(ref: ReleaseRef, version: number): Promise<StoredRelease> {
    return this.run(() => {
      validateReleaseName(ref.name);
      const entry = this.entries.get(key(ref.namespace, ref.name, version));
      if (entry) return this.out(entry);
      throw this.historyOf(ref).length === 0 ? new ReleaseNotFound(ref) : new RevisionNotFound(ref, version);
    });
  }

  list(namespace?: string): Promise<StoredRelease[]> {
    return this.run(() => {
      const newest = new Map<string, Entry>();
      for (const e of this.entries.values()) {
        if (namespace !== undefined && e.release.namespace !== namespace) continue;
        const k = `${e.release.namespace ?? ''}/${e.release.name}`;
        const seen = newest.get(k);
        if (!seen || seen.release.version < e.release.version) newest.set(k, e);
      }
      return [...newest.values()].sort((a, b) => a.release.name.localeCompare(b.release.name)).map((e) => this.out(e));
    });
  }

  create(release: Release, labels: Labels): Promise<StoredRelease> {
    return this.run(() => {
      validateReleaseName(release.name);
      encodeForSecret(release); // ReleaseTooLarge before any write, as the Secrets driver
      const ref = refOf(release);
      if (this.entries.has(key(ref.namespace, release.name, release.version))) throw new ReleaseExists(ref, release.version);
      return this.out(this.put(release, labels));
    });
  }

  update(stored: StoredRelease, next: Release, labels: Labels = stored.labels): Promise<StoredRelease> {
    return this.run(() => {
      validateReleaseName(next.name);
      encodeForSecret(next);
      const ref = refOf(next);
      const k = key(ref.namespace, next.name, next.version);
      const current = this.entries.get(k);
      if (!current) throw new RevisionNotFound(ref, next.version);
      // As the API server: an empty resourceVersion is an unconditional update.
      if (stored.resourceVersion !== '' && stored.resourceVersion !== current.resourceVersion) {
        throw new ConcurrentUpdate(ref, next.version);
      }
      return this.out(this.put(next, labels, current.createdAt));
    });
  }

  delete(ref: ReleaseRef, version: number): Promise<void> {
    return this.run(() => {
      validateReleaseName(ref.name);
      this.entries.delete(key(ref.namespace, ref.name, version));
    });
  }

  private historyOf(ref: ReleaseRef): StoredRelease[] {
    return [...this.entries.values()]
      .filter((e) => (e.release.namespace ?? '') === ref.namespace && e.release.name === ref.name)
      .sort((a, b) => a.release.version - b.release.version)
      .map((e) => this.out(e));
  }

  private put(release: Release, labels: Labels, createdAt?: string): Entry {
    const entry: Entry = {
      release: structuredClone(release),
      labels: customLabelsOf(labels),
      resourceVersion: String(++this.counter),
      createdAt: createdAt ?? String(Math.floor(this.now().getTime() / 1000)),
    };
    this.entries.set(key(release.namespace ?? '', release.name, release.version), entry);
    return entry;
  }

  private out(e: Entry): StoredRelease {
    return {
      release: structuredClone(e.release),
      labels: { ...e.labels },
      objectName: secretName(e.release.name, e.release.version),
      resourceVersion: e.resourceVersion,
      createdAt: e.createdAt,
    };
  }

  /** Every call answers asynchronously, as a real backend does, so races interleave in tests. */
  private async run<T>(fn: () => T): Promise<T> {
    await Promise.resolve();
    return fn();
  }
}
