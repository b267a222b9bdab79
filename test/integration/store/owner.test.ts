import { describe, expect, it } from 'vitest';

import { beginInstall, beginUpgrade, completeOperation, failOperation, NotNewest } from '../../../src/actions/index.ts';
import { isOwnedBy, OWNER_LABEL, ownerToken } from '../../../src/release/owner.ts';
import { clients, helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { render, store } from './helpers.ts';

/**
 * The owner of a pending record lives in a custom label, which the real helm copies into records
 * it writes. These tests let helm 4 work on a release that helmstep holds, then check that the
 * label survives where helm copies labels and never makes a copy on another revision "owned".
 */
describe('the owner label under the real helm 4', () => {
  const ns = useNamespace('owner');
  const labelsOf = async (name: string, v: number) =>
    (await clients().core.readNamespacedSecret({ name: `sh.helm.release.v1.${name}.v${v}`, namespace: ns.name })).metadata?.labels ?? {};

  it('survives helm rollback\'s copies and rewrites, bound to its revision, and is ignored elsewhere', async () => {
    const s = store();
    const ref = { namespace: ns.name, name: 'held' };
    await beginInstall(s, { ...(await render(ref)), name: ref.name, namespace: ref.namespace, labels: { team: 'a' } }, { owner: 'exec-install' });
    await completeOperation(s, ref, 1, { owner: 'exec-install' });
    const upgrade = await beginUpgrade(s, ref, await render(ref, ['message=two']), { owner: 'exec-B' });
    const token = ownerToken('exec-B', 2);
    expect(upgrade.pending.labels[OWNER_LABEL]).toBe(token);

    // helm ignores the lock: it rolls back to the pending revision itself, copying its labels.
    await helmOk(4, ['rollback', 'held', '2', '-n', ns.name]);
    expect(await labelsOf('held', 3)).toMatchObject({ [OWNER_LABEL]: token, team: 'a', status: 'deployed' });
    expect((await labelsOf('held', 2))[OWNER_LABEL]).toBe(token); // untouched, still pending
    let history = await s.history(ref);
    expect(history.map((h) => [h.release.version, h.release.info.status])).toEqual([
      [1, 'superseded'],
      [2, 'pending-upgrade'],
      [3, 'deployed'],
    ]);
    expect(isOwnedBy(history[1]!, 'exec-B')).toBe(true);
    expect(isOwnedBy(history[2]!, 'exec-B')).toBe(false); // a copy on revision 3 means nothing

    // The operation cannot finish over helm's newer record, but may mark its own record failed.
    await expect(completeOperation(s, ref, 2, { owner: 'exec-B' })).rejects.toBeInstanceOf(NotNewest);
    await failOperation(s, ref, 2, 'upgrade', new Error('rolled back by hand'), { owner: 'exec-B' });
    expect((await labelsOf('held', 2))[OWNER_LABEL]).toBe(token); // kept: a re-run of exec-B sees its operation ended

    // helm rolls back again: it supersedes revision 3, writing back every label it read.
    await helmOk(4, ['rollback', 'held', '1', '-n', ns.name]);
    const rewritten = await labelsOf('held', 3);
    expect(rewritten).toMatchObject({ [OWNER_LABEL]: token, status: 'superseded' });
    history = await s.history(ref);
    expect(isOwnedBy(history.find((h) => h.release.version === 3)!, 'exec-B')).toBe(false);

    // A later operation of the same execution id is a new lock, not a resume of the copy.
    const again = await beginUpgrade(s, ref, await render(ref, ['message=three']), { owner: 'exec-B' });
    expect([again.resumed, again.pending.release.version, again.pending.labels[OWNER_LABEL]]).toEqual([false, 5, ownerToken('exec-B', 5)]);
    await completeOperation(s, ref, 5, { owner: 'exec-B' });
    const rows = JSON.parse(await helmOk(4, ['history', 'held', '-n', ns.name, '-o', 'json'])) as { revision: number; status: string; description: string }[];
    expect(rows.map((r) => [r.revision, r.status, r.description])).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'failed', 'Upgrade "held" failed: rolled back by hand'],
      [3, 'superseded', 'Rollback to 2'],
      [4, 'superseded', 'Rollback to 1'],
      [5, 'deployed', 'Upgrade complete'],
    ]);
  });

  it('helm upgrade copies the newest record\'s labels, owner label included, which then owns nothing', async () => {
    const s = store();
    const ref = { namespace: ns.name, name: 'copied' };
    await beginInstall(s, { ...(await render(ref)), name: ref.name, namespace: ref.namespace }, { owner: 'exec-C' });
    // helm rolls back over the pending install (to itself), then upgrades: both copy labels.
    await helmOk(4, ['rollback', 'copied', '1', '-n', ns.name]);
    await helmOk(4, ['upgrade', 'copied', webappChart, '-n', ns.name]);
    const h = await s.history(ref);
    expect(h.map((r) => r.labels[OWNER_LABEL])).toEqual([ownerToken('exec-C', 1), ownerToken('exec-C', 1), ownerToken('exec-C', 1)]);
    expect(h.map((r) => isOwnedBy(r, 'exec-C'))).toEqual([true, false, false]);
  });
});
