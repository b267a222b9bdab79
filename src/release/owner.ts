/**
 * Who holds a pending record: the execution that wrote it.
 *
 * The owner lives in a custom Secret LABEL, not in the release JSON: helm drops JSON fields it
 * does not know when it rewrites a record, but copies custom labels. Because helm copies them,
 * a label can travel into helm's own later records (a rollback copies the target's labels, an
 * upgrade the newest record's). So the value is bound to the revision it was written on: a copy
 * sitting on any other revision never matches. It is a hash, which also keeps any execution id
 * within the 63-character label value limit.
 */
import { createHash } from 'node:crypto';

import type { Labels } from './record.ts';

/** The custom label that carries the owner token of a pending record. */
export const OWNER_LABEL = 'helmstep.dev/owner';

/** `o-` + the first 40 hex characters of sha256(`<owner>\n<revision>`). */
export function ownerToken(owner: string, revision: number): string {
  return `o-${createHash('sha256').update(`${owner}\n${revision}`).digest('hex').slice(0, 40)}`;
}

/** The part of a stored record ownership needs (a StoredRelease fits). */
export interface Ownable {
  readonly release: { readonly version: number };
  readonly labels: Labels;
}

/** True when `stored` carries `owner`'s token for its own revision. A record with no owner label has no owner. */
export function isOwnedBy(stored: Ownable, owner: string): boolean {
  return stored.labels[OWNER_LABEL] === ownerToken(owner, stored.release.version);
}

/** `labels` with the owner label dropped (records that are finished, or copied from another revision). */
export function withoutOwner(labels: Labels): Labels {
  if (!(OWNER_LABEL in labels)) return labels;
  const { [OWNER_LABEL]: _dropped, ...rest } = labels;
  return rest;
}

/** `labels` carrying `owner`'s token for `revision`, replacing any owner label copied from elsewhere. */
export function withOwner(labels: Labels, owner: string, revision: number): Labels {
  return { ...withoutOwner(labels), [OWNER_LABEL]: ownerToken(owner, revision) };
}
