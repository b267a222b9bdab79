/**
 * The CLI tests' store: MemoryReleaseStore (the contract-tested in-memory store), plus an
 * injected failure for every call and a count of writes (the CLI must make none).
 */
import type { ReleaseRef } from '../../../src/release/errors.ts';
import type { Labels, Release } from '../../../src/release/record.ts';
import { MemoryReleaseStore } from '../../../src/store/memory.ts';
import type { StoredRelease } from '../../../src/store/release-store.ts';

export class FakeReleaseStore extends MemoryReleaseStore {
  /** When set, every call throws it (a corrupt record, an unreachable cluster...). */
  failWith: Error | undefined;
  /** Writes attempted. */
  writes = 0;

  constructor(releases: readonly Release[] = []) {
    super(releases);
  }

  private check(write = false): void {
    if (write) this.writes++;
    if (this.failWith) throw this.failWith;
  }

  override history(ref: ReleaseRef): Promise<StoredRelease[]> {
    this.check();
    return super.history(ref);
  }

  override get(ref: ReleaseRef, version: number): Promise<StoredRelease> {
    this.check();
    return super.get(ref, version);
  }

  override list(namespace?: string): Promise<StoredRelease[]> {
    this.check();
    return super.list(namespace);
  }

  override create(release: Release, labels: Labels): Promise<StoredRelease> {
    this.check(true);
    return super.create(release, labels);
  }

  override update(stored: StoredRelease, next: Release, labels?: Labels): Promise<StoredRelease> {
    this.check(true);
    return super.update(stored, next, labels);
  }

  override delete(ref: ReleaseRef, version: number): Promise<void> {
    this.check(true);
    return super.delete(ref, version);
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
