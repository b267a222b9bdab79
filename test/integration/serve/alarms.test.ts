/**
 * helmstep serve's alarm routes end to end: a CloudWatch ALARM event (EventBridge's documented
 * shape) and an Alertmanager firing alert for mapped releases roll them back on the real control
 * plane and freeze them; the same event again does nothing new; deploy webhooks for a frozen
 * release get 409 with the freeze's reason; OK / resolved and unmapped alarms are recorded, not
 * acted on; `helmstep ack` lifts the freeze and the next delivery deploys.
 */
import { describe, expect, it } from 'vitest';

import { AuditQueries } from '../../../src/audit/queries.ts';
import { run } from '../../../src/cli/run.ts';
import { UNMAPPED_NAMESPACE } from '../../../src/serve/service.ts';
import { helmOk, useNamespace, webappChart } from '../../harness/cluster.ts';
import { CLUSTER, fixtureText, items, pushBody, sendAlarm, sendGeneric, sendGithub, useServe, type Served } from './harness.ts';

const SHAS = ['6113728f27ae82c7b1a177c8d03f9e96e0adf246', 'a10867b14bb761a232cd80139fbd4c0d33264240', 'b3d1c5e0f8a9274c6e5d4f3a2b1c0d9e8f7a6b5c'];

describe('helmstep serve: alarms, freeze and ack', () => {
  const ns = useNamespace('serve-alarms');
  const app = useServe(
    () => `
targets:
  - name: hello-web
    github: { repository: Codertocat/Hello-World, ref: master, event: push }
    cluster: ${CLUSTER}
    namespace: ${ns.name}
    release: web
    chart: ${webappChart}
    set: ["message={{shortSha}}"]
  - name: billing
    generic: { source: ci/billing }
    cluster: ${CLUSTER}
    namespace: ${ns.name}
    release: billing
    chart: ${webappChart}
    set: ["message={{version}}"]
alarms:
  - alarm: ServerCpuTooHigh
    cluster: ${CLUSTER}
    namespace: ${ns.name}
    release: web
`,
  );

  const history = async (release: string) =>
    (JSON.parse(await helmOk(4, ['history', release, '-n', ns.name, '-o', 'json'])) as { revision: number; status: string; description: string }[]).map((r) => [
      r.revision,
      r.status,
      r.description,
    ]);
  const events = async (s: Served, namespace: string, name: string) =>
    (await new AuditQueries({ client: s.serving.orchestration.services.dynamo, tableName: 'helmstep-audit' }).releaseEvents({ cluster: CLUSTER, namespace, name }, { limit: 1000 })).items;
  const deployed = async (s: Served, send: () => ReturnType<typeof sendGithub>) => {
    const answer = await send();
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const r = await s.serving.executions.result(answer.body.executionName as string);
    expect(r?.status, JSON.stringify(r)).toBe("SUCCEEDED");
  };
  const alertmanager = (status: 'firing' | 'resolved', release: string) =>
    fixtureText(`alertmanager-${status}.json`)
      .replaceAll('"helmstep_cluster": "prod-eu"', `"helmstep_cluster": "${CLUSTER}"`)
      .replaceAll('"helmstep_namespace": "shop"', `"helmstep_namespace": "${ns.name}"`)
      .replaceAll('"helmstep_release": "web"', `"helmstep_release": "${release}"`);
  const ack = async (s: Served, release: string) => {
    let out = '';
    let err = '';
    const code = await run(['ack', release, '-n', ns.name, '--cluster', CLUSTER, '--reason', 'fixed the CPU hog'], {
      out: { write: (t: string) => (out += t) },
      err: { write: (t: string) => (err += t) },
      env: s.env,
      open: () => {
        throw new Error('ack needs no cluster');
      },
    });
    return { code, out, err };
  };

  it('CloudWatch ALARM (EventBridge shape) for a mapped release: rolled back on the cluster and frozen; the same event again does nothing new', async () => {
    const s = app.get();
    await deployed(s, () => sendGithub(s.url, 'push', pushBody(SHAS[0]!)));
    await deployed(s, () => sendGithub(s.url, 'push', pushBody(SHAS[1]!)));
    expect(await history('web')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ]);

    const event = fixtureText('cloudwatch-alarm-state-change-alarm.json');
    expect((await sendAlarm(s.url, 'eventbridge', event, null)).status).toBe(401);
    expect((await sendAlarm(s.url, 'eventbridge', event, 'not-the-token-at-all')).status).toBe(401);

    const answer = await sendAlarm(s.url, 'eventbridge', event);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const [t] = answer.body.transitions as { action: string; executionName: string; executionId: string }[];
    expect(t).toMatchObject({ action: 'rollback', alarm: 'ServerCpuTooHigh', state: 'ALARM', release: { cluster: CLUSTER, namespace: ns.name, name: 'web' } });
    expect((await s.serving.executions.result(t!.executionName, 'rollback'))?.status).toBe('SUCCEEDED');
    expect(await history('web')).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'superseded', 'Upgrade complete'],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    expect(await s.serving.store.freezeOf({ cluster: CLUSTER, namespace: ns.name, name: 'web' })).toMatchObject({
      frozen: true,
      alarmName: 'ServerCpuTooHigh',
      executionName: t!.executionName,
    });
    const audit = await events(s, ns.name, 'web');
    expect(audit.find((e) => e.step === 'AlarmRollback')).toMatchObject({ actor: 'alarm:ServerCpuTooHigh', outcome: 'started', trigger: { kind: 'alarm' } });
    expect(audit.find((e) => e.step === 'Rollback')).toMatchObject({ actor: 'alarm:ServerCpuTooHigh', executionId: t!.executionName });

    // The same event again (EventBridge delivers at least once): nothing new.
    const before = { executions: s.serving.executions.list().length, audit: await items(s, 'audit'), triggers: await items(s, 'triggers') };
    const again = await sendAlarm(s.url, 'eventbridge', event);
    expect(again.status).toBe(200);
    expect(again.body.transitions).toMatchObject([{ action: 'recorded', why: 'duplicate', executionName: t!.executionName, executionId: t!.executionId }]);
    expect({ executions: s.serving.executions.list().length, audit: await items(s, 'audit'), triggers: await items(s, 'triggers') }).toEqual(before);
    expect(await history('web')).toHaveLength(3);

    // Frozen: a deploy webhook is refused with the freeze's reason, and starts nothing.
    const refused = await sendGithub(s.url, 'push', pushBody(SHAS[2]!));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ reason: 'ReleaseFrozen' });
    expect(refused.body.message).toContain('alarm "ServerCpuTooHigh" went OK -> ALARM');
    expect(refused.body.message).toContain('helmstep ack');
    expect(s.serving.executions.list().length).toBe(before.executions);

    // OK: recorded, nothing started.
    const ok = await sendAlarm(s.url, 'eventbridge', fixtureText('cloudwatch-alarm-state-change-ok.json'));
    expect(ok.status).toBe(200);
    expect(ok.body.transitions).toMatchObject([{ action: 'recorded', why: 'recovered', state: 'OK' }]);
    expect(s.serving.executions.list().length).toBe(before.executions);
    expect((await events(s, ns.name, 'web')).at(-1)).toMatchObject({ step: 'AlarmResolved', outcome: 'skipped', actor: 'alarm:ServerCpuTooHigh' });

    // ack lifts the freeze (and says what it lifted); the next delivery deploys.
    const acked = await ack(s, 'web');
    expect(acked.code, acked.err).toBe(0);
    expect(acked.out).toContain(`Lifted the freeze of release "web" in namespace "${ns.name}" of cluster "${CLUSTER}"`);
    expect(acked.out).toContain(t!.executionName);
    expect(await s.serving.store.freezeOf({ cluster: CLUSTER, namespace: ns.name, name: 'web' })).toEqual({ frozen: false });
    expect((await events(s, ns.name, 'web')).at(-1)).toMatchObject({ step: 'Ack', outcome: 'succeeded', executionId: t!.executionName });
    expect((await events(s, ns.name, 'web')).at(-1)?.actor).toMatch(/^cli:/);
    const second = await ack(s, 'web');
    expect(second.code).toBe(1);
    expect(second.err).toContain('is not frozen');

    await deployed(s, () => sendGithub(s.url, 'push', pushBody(SHAS[2]!)));
    expect((await history('web')).at(-1)).toEqual([4, 'deployed', 'Upgrade complete']);
  });

  it('Alertmanager firing alert labelled with a release: rolled back and frozen; resent: nothing new; resolved: recorded only', async () => {
    const s = app.get();
    await deployed(s, () => sendGeneric(s.url, JSON.stringify({ source: 'ci/billing', version: 'v1' })));
    await deployed(s, () => sendGeneric(s.url, JSON.stringify({ source: 'ci/billing', version: 'v2' })));

    const firing = alertmanager('firing', 'billing');
    const answer = await sendAlarm(s.url, 'alertmanager', firing);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const [t] = answer.body.transitions as { executionName: string }[];
    expect(t).toMatchObject({ action: 'rollback', alarm: 'HelmReleaseHighErrorRate', state: 'firing' });
    expect((await s.serving.executions.result(t!.executionName, 'rollback'))?.status).toBe('SUCCEEDED');
    expect((await history('billing')).at(-1)).toEqual([3, 'deployed', 'Rollback to 1']);
    expect((await s.serving.store.freezeOf({ cluster: CLUSTER, namespace: ns.name, name: 'billing' })).frozen).toBe(true);

    const count = s.serving.executions.list().length;
    expect((await sendAlarm(s.url, 'alertmanager', firing)).body.transitions).toMatchObject([{ why: 'duplicate' }]);
    expect(s.serving.executions.list().length).toBe(count);

    const frozen = await sendGeneric(s.url, JSON.stringify({ source: 'ci/billing', version: 'v3' }));
    expect(frozen).toMatchObject({ status: 409, body: { reason: 'ReleaseFrozen' } });

    const resolved = await sendAlarm(s.url, 'alertmanager', alertmanager('resolved', 'billing'));
    expect(resolved.status).toBe(200);
    expect(resolved.body.transitions).toMatchObject([{ action: 'recorded', why: 'recovered', state: 'resolved' }]);
    expect(s.serving.executions.list().length).toBe(count);
    expect((await history('billing')).length).toBe(3);
  });

  it('an unmapped alarm is recorded in the audit log and ignored (200); bad alarm payloads are 4xx and change nothing', async () => {
    const s = app.get();
    const count = s.serving.executions.list().length;
    const unmapped = fixtureText('cloudwatch-alarm-state-change-alarm.json').replaceAll('ServerCpuTooHigh', 'DiskAlmostFull');
    const answer = await sendAlarm(s.url, 'eventbridge', unmapped);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ outcome: 'recorded', transitions: [{ action: 'recorded', why: 'unmapped', alarm: 'DiskAlmostFull' }] });
    expect(s.serving.executions.list().length).toBe(count);
    const logged = await events(s, UNMAPPED_NAMESPACE, 'DiskAlmostFull');
    expect(logged).toMatchObject([{ step: 'AlarmUnmapped', outcome: 'skipped', actor: 'alarm:DiskAlmostFull', error: { reason: 'Unmapped' } }]);

    const before = { audit: await items(s, 'audit'), triggers: await items(s, 'triggers') };
    const cases: [string, 'eventbridge' | 'alertmanager', string, number][] = [
      ['not JSON', 'eventbridge', 'alarm!', 415],
      ['Alertmanager payload on the EventBridge route', 'eventbridge', alertmanager('firing', 'billing'), 400],
      ['EventBridge event on the Alertmanager route', 'alertmanager', fixtureText('cloudwatch-alarm-state-change-alarm.json'), 400],
      ['wrong Alertmanager version', 'alertmanager', alertmanager('firing', 'billing').replace('"version": "4"', '"version": "3"'), 400],
      ['oversized', 'alertmanager', JSON.stringify({ alerts: [], pad: 'x'.repeat(300 * 1024) }), 413],
    ];
    for (const [name, route, body, status] of cases) {
      const r = await sendAlarm(s.url, route, body);
      expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.body.outcome).toBe('refused');
    }
    expect({ audit: await items(s, 'audit'), triggers: await items(s, 'triggers') }).toEqual(before);
    expect(s.serving.executions.list().length).toBe(count);
  });
});
