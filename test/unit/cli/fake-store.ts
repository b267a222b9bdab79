/** An in-memory ReleaseStore for CLI tests: records keyed by namespace/name, optional injected failure. */
import { ReleaseNotFound, RevisionNotFound, type ReleaseRef } from '../../../src/release/errors.ts';
import { secretName } from '../../../src/release/lifecycle.ts';
import type { Labels, Release } from '../../../src/release/record.ts';
import type { ReleaseStore, StoredRelease } from '../../../src/store/release-store.ts';

export class FakeReleaseStore implements ReleaseStore {
  private readonly records = new Map<string, StoredRelease>();
  /** When set, every read throws it (a corrupt record, an unreachable cluster...). */
  failWith: Error | undefined;
  /** Writes seen (the CLI must make none). */
  writes = 0;

  constructor(releases: readonly Release[] = []) {
    for (const r of releases) this.put(r);
  }

  put(release: Release, labels: Labels = {}): StoredRelease {
    const stored: StoredRelease = {
      release: structuredClone(release),
      labels,
      objectName: secretName(release.name, release.version),
      resourceVersion: '1',
    };
    this.records.set(`${release.namespace}/${release.name}/${release.version}`, stored);
    return stored;
  }

  private check(): void {
    if (this.failWith) throw this.failWith;
  }

  history(ref: ReleaseRef): Promise<StoredRelease[]> {
    this.check();
    const all = [...this.records.values()].filter((s) => s.release.namespace === ref.namespace && s.release.name === ref.name);
    return Promise.resolve(all.sort((a, b) => a.release.version - b.release.version).map((s) => structuredClone(s)));
  }

  async get(ref: ReleaseRef, version: number): Promise<StoredRelease> {
    this.check();
    const found = this.records.get(`${ref.namespace}/${ref.name}/${version}`);
    if (found) return structuredClone(found);
    throw (await this.history(ref)).length === 0 ? new ReleaseNotFound(ref) : new RevisionNotFound(ref, version);
  }

  list(namespace?: string): Promise<StoredRelease[]> {
    this.check();
    const newest = new Map<string, StoredRelease>();
    for (const s of this.records.values()) {
      if (namespace !== undefined && s.release.namespace !== namespace) continue;
      const key = `${s.release.namespace}/${s.release.name}`;
      const seen = newest.get(key);
      if (!seen || seen.release.version < s.release.version) newest.set(key, s);
    }
    return Promise.resolve([...newest.values()]);
  }

  create(release: Release, labels: Labels): Promise<StoredRelease> {
    this.writes++;
    return Promise.resolve(this.put(release, labels));
  }

  update(_stored: StoredRelease, next: Release, labels: Labels = {}): Promise<StoredRelease> {
    this.writes++;
    return Promise.resolve(this.put(next, labels));
  }

  delete(ref: ReleaseRef, version: number): Promise<void> {
    this.writes++;
    this.records.delete(`${ref.namespace}/${ref.name}/${version}`);
    return Promise.resolve();
  }
}

/** A Writer that keeps what was written. */
export class Capture {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}
