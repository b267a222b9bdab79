/** Histories, a fault-injecting store and a write recorder for the record-operation tests. */
import type { ReleaseRef } from '../../../src/release/errors.ts';
import { newInstallRecord } from '../../../src/release/lifecycle.ts';
import { OWNER_LABEL, ownerToken } from '../../../src/release/owner.ts';
import type { Labels, Release, Status } from '../../../src/release/record.ts';
import { MemoryReleaseStore } from '../../../src/store/memory.ts';
import type { ReleaseStore, StoredRelease } from '../../../src/store/release-store.ts';
import { sampleRendered } from '../../contract/release-store.ts';

export const ref: ReleaseRef = { namespace: 'shop', name: 'web' };
export const now = new Date('2025-05-06T07:08:09Z');

/** What a chart renders for the next revision (`version` = `.Release.Revision`). */
export function rendered(version: number, message = `m${version}`) {
  return { ...sampleRendered(message, now), version };
}

/** A record of revision `version` with `status`, as any writer could have left it. */
export function record(version: number, status: Status, description = `rev ${version}`): Release {
  const { release } = newInstallRecord({ ...sampleRendered(`m${version}`, now), name: ref.name, namespace: ref.namespace, version });
  return { ...release, info: { ...release.info, status, description } };
}

/** A store holding revisions 1..N with these statuses; `owners` puts an owner label on some. */
export function storeWith(statuses: readonly Status[], owners: Record<number, string> = {}, labels: Labels = {}): MemoryReleaseStore {
  return new MemoryReleaseStore(
    statuses.map((s, i) => {
      const v = i + 1;
      return { release: record(v, s), labels: { ...labels, ...(owners[v] ? { [OWNER_LABEL]: ownerToken(owners[v], v) } : {}) } };
    }),
  );
}

/** `[version, status, description]` of every record: the history as `helm history` shows it. */
export async function rows(store: ReleaseStore): Promise<[number, string, string][]> {
  return (await store.history(ref)).map((h) => [h.release.version, h.release.info.status, h.release.info.description ?? '']);
}

/** Whether a record carries an owner label at all. */
export async function ownerLabels(store: ReleaseStore): Promise<Record<number, string | undefined>> {
  return Object.fromEntries((await store.history(ref)).map((h) => [h.release.version, h.labels[OWNER_LABEL]]));
}

/** The process died here: nothing after the N-th write happened. */
export class Crash extends Error {
  constructor(readonly after: number) {
    super(`simulated crash after ${after} writes`);
  }
}

type Write = { readonly op: 'create' | 'update' | 'delete'; readonly version: number; readonly status?: string };

/**
 * Wraps a store: records every write, and with `crashAfter` = N lets N writes through, then throws
 * Crash instead of the next one (which does not happen), as a Lambda that dies mid-step.
 */
export class Recording implements ReleaseStore {
  readonly writes: Write[] = [];
  crashAfter: number | undefined;
  /** Throws this (once) instead of the next write of that kind. */
  failNext: { op: Write['op']; error: Error } | undefined;

  constructor(readonly inner: ReleaseStore) {}

  private before(w: Write): void {
    if (this.failNext?.op === w.op) {
      const { error } = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    if (this.crashAfter !== undefined && this.writes.length >= this.crashAfter) throw new Crash(this.crashAfter);
    this.writes.push(w);
  }

  history(r: ReleaseRef): Promise<StoredRelease[]> {
    return this.inner.history(r);
  }
  get(r: ReleaseRef, version: number): Promise<StoredRelease> {
    return this.inner.get(r, version);
  }
  list(namespace?: string): Promise<StoredRelease[]> {
    return this.inner.list(namespace);
  }
  async create(release: Release, labels: Labels): Promise<StoredRelease> {
    this.before({ op: 'create', version: release.version, status: release.info.status });
    return this.inner.create(release, labels);
  }
  async update(stored: StoredRelease, next: Release, labels?: Labels): Promise<StoredRelease> {
    this.before({ op: 'update', version: next.version, status: next.info.status });
    return this.inner.update(stored, next, labels);
  }
  async delete(r: ReleaseRef, version: number): Promise<void> {
    this.before({ op: 'delete', version });
    return this.inner.delete(r, version);
  }
}

/** The rejection of `p` (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}
