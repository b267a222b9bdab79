/**
 * What every step of the release engine shares: the operation a step works on (passed between
 * steps by reference only: the pending record in the cluster carries the revision), the clients
 * it is given, and what a poll step answers.
 *
 * A step is one short, idempotent call: it reads what the cluster says, decides, and makes at
 * most a few writes. Waiting is never done inside a step: a poll step answers `wait` and the
 * caller (the local sequencer here, a Step Functions Wait state in AWS) calls it again later.
 */
import type { ReleaseRef } from '../release/errors.ts';
import type { ReleaseStore } from '../store/release-store.ts';
import type { KubeClient } from '../kube/types.ts';

/** The three helm operations that write a revision. */
export type Operation = 'install' | 'upgrade' | 'rollback';

/** The operation a step belongs to: enough to find its pending record and prove ownership of it. */
export interface OperationRef extends ReleaseRef {
  readonly op: Operation;
  /** The revision of the operation's pending record. */
  readonly revision: number;
  /** Who holds the lock: an execution id (Step Functions execution name, or a local run id). */
  readonly owner: string;
  /**
   * Set when a re-run found its operation already finished (the record's status now): the
   * caller skips to the end instead of acting again.
   */
  readonly finished?: string;
  /**
   * The hook events the revision has hooks for, when the step that wrote the record knows them:
   * a caller may skip the hook states of other events (a resumed operation leaves it unset).
   */
  readonly hookEvents?: readonly string[];
}

/** What the engine's steps are given: clients built once and injected. */
export interface EngineDeps {
  readonly store: ReleaseStore;
  readonly kube: KubeClient;
  /** The helm binary that renders charts (helm 4 from the kubectl layer). */
  readonly helm: string;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
  readonly now: () => Date;
  /** Progress for people (the CLI prints it on stderr); never needed for correctness. */
  readonly progress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { readonly kind: 'step'; readonly step: string; readonly phase: 'enter' | 'leave'; readonly detail?: string }
  | { readonly kind: 'hook'; readonly hook: string; readonly event: string; readonly phase: 'started' | 'succeeded' | 'failed' | 'deleted'; readonly detail?: string }
  | { readonly kind: 'object'; readonly action: 'applied' | 'created' | 'deleted' | 'kept' | 'cleaned-up'; readonly object: string }
  | { readonly kind: 'wait'; readonly step: string; readonly detail: string }
  | { readonly kind: 'note'; readonly detail: string };

/** A poll step's answer: finished, or call again after `seconds`. */
export type Poll = { readonly done: true } | { readonly done: false; readonly seconds: number; readonly progress: string };

/** How the resource wait behaves, as helm 4's --wait values. */
export type WaitStrategy = 'hookOnly' | 'watcher' | 'legacy';
