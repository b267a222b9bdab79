/**
 * The cluster's name in lease and audit keys, in a module of its own so that commands which only
 * read the audit log (`helmstep audit`) get it without loading the engine and client-node.
 */
import type { Env } from './state.ts';

const KEY_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/**
 * The cluster's name in lease and audit keys: $HELMSTEP_CLUSTER_NAME, else the kube context's
 * name (characters a key cannot hold become `-`), else `local`.
 */
export function clusterName(env: Env, contextName?: string): string {
  const given = env.HELMSTEP_CLUSTER_NAME || contextName || 'local';
  const name = given.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 253);
  return KEY_PART.test(name) ? name : 'local';
}
