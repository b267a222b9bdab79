/**
 * A step process that dies between two writes. Run as a child (`node --import tsx crash-child.ts`)
 * with the JSON spec in HELMSTEP_CRASH_SPEC: it runs one engine operation (an upgrade or a
 * rollback) through the local sequencer, counting every write it makes (release store create,
 * update and delete; Kubernetes apply, delete and managed-fields replace; a dry-run apply writes
 * nothing and is not counted), and SIGKILLs itself right after write number `crashAfter`: no
 * handler, no finally block, no flush runs, as when a Lambda or a laptop dies.
 *
 * Each write is printed on stdout as it completes (`write <n> <what>`, synchronously, so the
 * line is out before the kill); a run that is not killed ends with `done <status>` or
 * `failed <message>`. The wrappers are exported for tests that count writes in-process.
 */
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { openKubeClient } from '../../../src/kube/client.ts';
import type { KubeClient, KubeObject, ObjectRef } from '../../../src/kube/types.ts';
import type { Release } from '../../../src/release/record.ts';
import type { ReleaseStore, StoredRelease } from '../../../src/store/release-store.ts';
import { connect } from '../../../src/store/kube.ts';
import { runDeploy, runRollback } from '../../../src/engine/sequence.ts';
import type { EngineDeps } from '../../../src/engine/types.ts';

export interface CrashSpec {
  readonly kubeconfig: string;
  readonly helm: string;
  readonly namespace: string;
  readonly name: string;
  readonly op: 'upgrade' | 'rollback';
  /** upgrade: the chart and its --set values. */
  readonly chart?: string;
  readonly set?: readonly string[];
  /** rollback: the target revision. */
  readonly target?: number;
  readonly owner: string;
  /** Kill the process right after this write (0: never). */
  readonly crashAfter: number;
}

/** Called after every successful write with its number (from 1) and a short description. */
export type OnWrite = (n: number, what: string) => void;

function objectName(o: ObjectRef | KubeObject): string {
  const name = 'metadata' in o ? o.metadata.name : o.name;
  return `${o.kind}/${name ?? '?'}`;
}

function recordName(r: Release): string {
  return `v${r.version} ${r.info.status}`;
}

/** Deps whose store and kube client report every write they complete, in order. */
export function countingDeps(deps: EngineDeps, onWrite: OnWrite): EngineDeps {
  let n = 0;
  const wrote = <T>(what: string, value: T): T => {
    onWrite(++n, what);
    return value;
  };
  const s = deps.store;
  const store: ReleaseStore = {
    history: (ref) => s.history(ref),
    get: (ref, version) => s.get(ref, version),
    list: (namespace) => s.list(namespace),
    create: async (release, labels) => wrote(`store.create ${recordName(release)}`, await s.create(release, labels)),
    update: async (stored: StoredRelease, next, labels) => wrote(`store.update ${recordName(next)}`, await s.update(stored, next, labels)),
    delete: async (ref, version) => wrote(`store.delete v${version}`, await s.delete(ref, version)),
  };
  const k = deps.kube;
  const kube: KubeClient = {
    get: (ref) => k.get(ref),
    apply: async (obj, opts) => {
      const out = await k.apply(obj, opts);
      return opts.dryRun ? out : wrote(`kube.apply ${objectName(obj)}`, out);
    },
    delete: async (ref) => wrote(`kube.delete ${objectName(ref)}`, await k.delete(ref)),
    replaceManagedFields: async (live, entries) => wrote(`kube.managedFields ${objectName(live)}`, await k.replaceManagedFields(live, entries)),
    rediscover: () => k.rediscover(),
    resource: (apiVersion, kind) => k.resource(apiVersion, kind),
    list: (apiVersion, kind, namespace, selector) => k.list(apiVersion, kind, namespace, selector),
    podLogs: (namespace, pod, container) => k.podLogs(namespace, pod, container),
  };
  return { ...deps, store, kube };
}

function line(text: string): void {
  writeSync(1, `${text}\n`);
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.HELMSTEP_CRASH_SPEC ?? '') as CrashSpec;
  const cluster = connect({ kubeconfig: spec.kubeconfig });
  const base: EngineDeps = {
    store: cluster.store,
    kube: openKubeClient(cluster.kubeConfig),
    helm: spec.helm,
    kubeconfig: spec.kubeconfig,
    now: () => new Date(),
  };
  const deps = countingDeps(base, (n, what) => {
    line(`write ${n} ${what}`);
    if (n === spec.crashAfter) process.kill(process.pid, 'SIGKILL');
  });
  const waits = { strategy: 'watcher' as const, waitForJobs: false, timeoutMs: 60_000, cleanupOnFail: false, pollSeconds: 0.5 };
  const ref = { namespace: spec.namespace, name: spec.name };
  try {
    const done =
      spec.op === 'upgrade'
        ? await runDeploy(deps, {
            ...waits,
            request: {
              ...ref,
              chart: spec.chart ?? '',
              values: { set: (spec.set ?? []).map((value) => ({ kind: 'set' as const, value })) },
              mode: 'upgrade',
              installIfMissing: true,
              maxHistory: 10,
              owner: spec.owner,
            },
            rollbackOnFailure: false,
            forceConflicts: false,
          })
        : await runRollback(deps, {
            ...waits,
            request: { ...ref, target: spec.target ?? 0, force: false, maxHistory: 10, ignoreLock: true, owner: spec.owner },
          });
    line(`done ${done.info.status}`);
    process.exit(0);
  } catch (err) {
    line(`failed ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
