/**
 * Helm hooks as the engine runs them: which hooks an event runs and in what order, their delete
 * policies, the object each one creates, and whether it already ran in this operation. Pure.
 */
import { parseHelmTime } from '../release/record.ts';
import type { Hook } from '../release/record.ts';
import type { ReleaseRef } from '../release/errors.ts';
import { parseSingleObject } from './manifest.ts';
import type { KubeObject } from './types.ts';

export const HOOK_EVENTS = [
  'pre-install',
  'post-install',
  'pre-delete',
  'post-delete',
  'pre-upgrade',
  'post-upgrade',
  'pre-rollback',
  'post-rollback',
  'test',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

export type HookDeletePolicy = 'before-hook-creation' | 'hook-succeeded' | 'hook-failed';

/** helm's parser turns `test-success` into `test`; older records may still hold the former. */
function eventMatches(stored: string, event: HookEvent): boolean {
  return stored === event || (event === 'test' && stored === 'test-success');
}

/**
 * The hooks `event` runs, in helm's order: weight ascending, then name ascending, a stable sort
 * over the stored order (which is already by kind). A hook that lists the event twice runs once.
 */
export function hooksFor(hooks: readonly Hook[], event: HookEvent): Hook[] {
  return hooks
    .filter((h) => (h.events ?? []).some((e) => eventMatches(e, event)))
    .sort((a, b) => {
      const wa = a.weight ?? 0;
      const wb = b.weight ?? 0;
      if (wa !== wb) return wa - wb;
      const na = a.name ?? '';
      const nb = b.name ?? '';
      return na === nb ? 0 : na < nb ? -1 : 1;
    });
}

/** The hook's delete policies; helm sets (and stores) `before-hook-creation` when there are none. */
export function deletePolicies(hook: Hook): string[] {
  const own = hook.delete_policies ?? [];
  return own.length > 0 ? [...own] : ['before-hook-creation'];
}

/** The object the hook creates; throws InvalidManifest when its manifest is not exactly one. */
export function hookObject(hook: Hook, ref?: ReleaseRef): KubeObject {
  const source = hook.path || `hook ${hook.name ?? ''}`;
  return parseSingleObject(hook.manifest ?? '', source, ref);
}

/** Annotation on a hook's object: `"true"` marks it as a database migration. */
export const MIGRATION_ANNOTATION = 'helmstep.dev/migration';

/** Whether the hook is a migration (its object is annotated `helmstep.dev/migration: "true"`). */
export function isMigration(hook: Hook): boolean {
  return hookObject(hook).metadata.annotations?.[MIGRATION_ANNOTATION] === 'true';
}

/**
 * Whether the hook started at or after `since`. The engine passes the pending record's
 * last_deployed: a rollback copies the target's hooks with their old last_run, which is older.
 * A hook that never ran (zero or missing started_at) has not.
 */
export function hookRanSince(hook: Hook, since: Date): boolean {
  const started = parseHelmTime(hook.last_run?.started_at);
  return started !== undefined && started.getTime() >= since.getTime();
}
