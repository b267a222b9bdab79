import { describe, expect, it } from 'vitest';

import { alarmTransitions, normaliseTime, type AlarmTransition } from '../../../src/triggers/alarms.ts';
import { NOT_FROZEN, alarmAction, deployDecision, type FreezeState } from '../../../src/triggers/freeze.ts';
import { alarmExecutionName } from '../../../src/triggers/naming.ts';
import { parseTargetsConfig } from '../../../src/triggers/targets.ts';
import { fixture } from './support.ts';

const ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh';
const TAGS = { 'helmstep:release': 'web', 'helmstep:namespace': 'shop', 'helmstep:cluster': 'prod-eu' };
const WEB = { cluster: 'prod-eu', namespace: 'shop', name: 'web' };

function one(event: unknown, options?: Parameters<typeof alarmTransitions>[1]): AlarmTransition {
  const result = alarmTransitions(event, options);
  if (!result.ok) throw new Error(result.message);
  expect(result.transitions).toHaveLength(1);
  return result.transitions[0]!;
}

describe('alarmTransitions: CloudWatch (AWS documented example)', () => {
  it('ALARM: the ARN, states, the state timestamp as ISO time, the release from the tags the caller looked up', () => {
    expect(one(fixture('cloudwatch-alarm-state-change-alarm.json'), { tags: TAGS })).toEqual({
      source: 'cloudwatch',
      alarmId: ARN,
      alarmName: 'ServerCpuTooHigh',
      state: 'ALARM',
      previousState: 'OK',
      time: '2019-10-02T17:04:40.989Z',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
      release: WEB,
      mappedBy: 'tags',
    });
  });

  it('OK: the reverse transition at its own time', () => {
    expect(one(fixture('cloudwatch-alarm-state-change-ok.json'), { tags: TAGS })).toMatchObject({
      state: 'OK',
      previousState: 'ALARM',
      time: '2019-10-02T17:19:40.991Z',
      release: WEB,
    });
  });

  it('reads propagated detail.alarmTags; looked-up tags win over them', () => {
    const event = fixture('cloudwatch-alarm-state-change-alarm.json') as { detail: Record<string, unknown> };
    event.detail['alarmTags'] = { ...TAGS, 'helmstep:release': 'api' };
    event.detail['alarmTagsStatus'] = 'SUCCESS';
    expect(one(event).release).toEqual({ ...WEB, name: 'api' });
    expect(one(event, { tags: TAGS }).release).toEqual(WEB);
  });

  it('an explicit mapping in the configuration wins over tags, by name or ARN', () => {
    const byName = parseTargetsConfig('targets: []\nalarms: [{alarm: ServerCpuTooHigh, cluster: c2, namespace: ops, release: api}]');
    expect(one(fixture('cloudwatch-alarm-state-change-alarm.json'), { tags: TAGS, config: byName })).toMatchObject({
      release: { cluster: 'c2', namespace: 'ops', name: 'api' },
      mappedBy: 'config',
    });
    const byArn = parseTargetsConfig(`targets: []\nalarms: [{alarm: "${ARN}", cluster: c2, namespace: ops, release: api}]`);
    expect(one(fixture('cloudwatch-alarm-state-change-alarm.json'), { config: byArn }).mappedBy).toBe('config');
  });

  it.each([
    [{}, 'no alarms: entry in the targets configuration and no helmstep:release / helmstep:namespace tags on the alarm; the transition is recorded only'],
    [{ 'helmstep:release': 'web' }, 'tag helmstep:namespace is missing (both helmstep:release and helmstep:namespace are needed)'],
    [{ 'helmstep:release': 'web', 'helmstep:namespace': 'shop' }, 'tag helmstep:cluster is missing and the configuration has no defaultCluster'],
    [{ ...TAGS, 'helmstep:release': 'Web!' }, 'tag helmstep:release "Web!" is not a helm release name'],
    [{ ...TAGS, 'helmstep:namespace': 'Shop' }, 'tag helmstep:namespace "Shop" is not a Kubernetes namespace'],
  ])('leaves the transition unmapped, saying why: %j', (tags, why) => {
    const t = one(fixture('cloudwatch-alarm-state-change-alarm.json'), { tags });
    expect(t.release).toBeUndefined();
    expect(t.unmapped).toBe(why);
  });

  it('takes a missing cluster from defaultCluster', () => {
    const config = parseTargetsConfig('defaultCluster: prod-eu\ntargets: []');
    const t = one(fixture('cloudwatch-alarm-state-change-alarm.json'), { tags: { 'helmstep:release': 'web', 'helmstep:namespace': 'shop' }, config });
    expect(t.release).toEqual(WEB);
  });

  it('refuses other EventBridge events and broken ones with 400', () => {
    const config = { ...(fixture('cloudwatch-alarm-state-change-alarm.json') as object), 'detail-type': 'CloudWatch Alarm Configuration Change' };
    expect(alarmTransitions(config)).toMatchObject({
      status: 400,
      reason: 'InvalidPayload',
      message: 'invalid CloudWatch alarm event: detail-type: Invalid input: expected "CloudWatch Alarm State Change"',
    });
    const badTime = fixture('cloudwatch-alarm-state-change-alarm.json') as { detail: { state: { timestamp: string } } };
    badTime.detail.state.timestamp = 'yesterday';
    expect(alarmTransitions(badTime)).toMatchObject({ status: 400, message: 'invalid CloudWatch alarm event: detail.state.timestamp "yesterday" is not a time' });
    expect(alarmTransitions({ hello: 1 })).toMatchObject({
      status: 400,
      message: 'invalid alarm event: neither an EventBridge "CloudWatch Alarm State Change" event nor an Alertmanager webhook (version 4)',
    });
  });
});

describe('alarmTransitions: Alertmanager webhook version 4', () => {
  it('firing: one transition per alert, at startsAt, mapped by the helmstep_* labels', () => {
    expect(one(fixture('alertmanager-firing.json'))).toEqual({
      source: 'alertmanager',
      alarmId: 'alertmanager:HelmReleaseHighErrorRate:3b15fd163d36582e',
      alarmName: 'HelmReleaseHighErrorRate',
      state: 'firing',
      time: '2026-11-24T14:03:07.812Z',
      reason: 'web is answering 5xx to more than 5% of requests',
      release: WEB,
      mappedBy: 'labels',
    });
  });

  it('resolved: the same alarm id, at endsAt', () => {
    expect(one(fixture('alertmanager-resolved.json'))).toMatchObject({
      alarmId: 'alertmanager:HelmReleaseHighErrorRate:3b15fd163d36582e',
      state: 'resolved',
      time: '2026-11-24T14:11:37.812Z',
    });
  });

  it('a group of alerts for two releases gives two transitions', () => {
    const hook = fixture('alertmanager-firing.json') as { alerts: { labels: Record<string, string>; fingerprint?: string }[]; commonLabels: Record<string, string> };
    const second = structuredClone(hook.alerts[0]!);
    second.labels['helmstep_release'] = 'api';
    delete second.fingerprint;
    hook.alerts.push(second);
    delete hook.commonLabels['helmstep_release'];
    const result = alarmTransitions(hook);
    expect(result.ok && result.transitions.map((t) => [t.release?.name, t.alarmId])).toEqual([
      ['web', 'alertmanager:HelmReleaseHighErrorRate:3b15fd163d36582e'],
      ['api', expect.stringMatching(/^alertmanager:HelmReleaseHighErrorRate:[0-9a-f]{16}$/)],
    ]);
  });

  it('refuses another webhook version with 400', () => {
    expect(alarmTransitions({ ...(fixture('alertmanager-firing.json') as object), version: '3' })).toMatchObject({
      status: 400,
      message: 'invalid Alertmanager webhook (version 4 expected): version: Invalid input: expected "4"',
    });
  });
});

describe('normaliseTime', () => {
  it.each([
    ['2019-10-02T17:04:40.989+0000', '2019-10-02T17:04:40.989Z'],
    ['2019-10-02T17:04:40Z', '2019-10-02T17:04:40.000Z'],
    ['2026-11-24T14:03:07.812345678Z', '2026-11-24T14:03:07.812Z'],
    ['2026-11-24T16:03:07.8+02:00', '2026-11-24T14:03:07.800Z'],
    ['2026-02-30T00:00:00Z', undefined],
    ['2026-13-01T00:00:00Z', undefined],
    ['2026-11-24T25:00:00Z', undefined],
    ['24/11/2026', undefined],
  ])('%s → %s', (text, iso) => {
    expect(normaliseTime(text)).toBe(iso);
  });
});

describe('alarmAction and the freeze', () => {
  const alarm = one(fixture('cloudwatch-alarm-state-change-alarm.json'), { tags: TAGS });
  const name = alarmExecutionName(ARN, '2019-10-02T17:04:40.989Z');

  it('rolls back a mapped release on ALARM, once per transition, and returns the freeze to record', () => {
    const action = alarmAction(alarm, NOT_FROZEN);
    expect(action).toMatchObject({ action: 'rollback', executionName: name, release: WEB });
    expect(action.action === 'rollback' && action.freeze).toEqual({
      release: WEB,
      alarmId: ARN,
      alarmName: 'ServerCpuTooHigh',
      transitionTime: '2019-10-02T17:04:40.989Z',
      executionName: name,
      reason:
        'alarm "ServerCpuTooHigh" went OK -> ALARM at 2019-10-02T17:04:40.989Z (Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).); ' +
        `rolled back by execution ${name}`,
    });
    // The same event again: same name; once the freeze is recorded, nothing new.
    expect(alarmAction(alarm, NOT_FROZEN)).toMatchObject({ executionName: name });
    const frozen: FreezeState = { frozen: true, ...(action.action === 'rollback' ? action.freeze : (undefined as never)) };
    expect(alarmAction(alarm, frozen)).toEqual({
      action: 'record-only',
      why: 'duplicate',
      transition: alarm,
      message: `alarm "ServerCpuTooHigh" went OK -> ALARM at 2019-10-02T17:04:40.989Z: this transition already started rollback ${name}; nothing new was started`,
    });
  });

  it('a second alarm on a frozen release is recorded, not rolled back again', () => {
    const firing = one(fixture('alertmanager-firing.json'));
    const first = alarmAction(alarm, NOT_FROZEN);
    if (first.action !== 'rollback') throw new Error('expected a rollback');
    expect(alarmAction(firing, { frozen: true, ...first.freeze })).toMatchObject({
      action: 'record-only',
      why: 'already-frozen',
      message:
        `alarm "HelmReleaseHighErrorRate" went firing at 2026-11-24T14:03:07.812Z but release "web" in namespace "shop" of cluster "prod-eu" is already frozen by alarm "ServerCpuTooHigh" at 2019-10-02T17:04:40.989Z ` +
        `(rollback ${name}); recorded, not rolled back again. Acknowledge the freeze (helmstep ack) once it is fixed`,
    });
  });

  it('a firing alert rolls back under its own execution name', () => {
    const firing = one(fixture('alertmanager-firing.json'));
    expect(alarmAction(firing, NOT_FROZEN)).toMatchObject({
      action: 'rollback',
      release: WEB,
      executionName: alarmExecutionName('alertmanager:HelmReleaseHighErrorRate:3b15fd163d36582e', '2026-11-24T14:03:07.812Z'),
    });
  });

  it.each([
    ['OK', 'cloudwatch-alarm-state-change-ok.json', 'recovered', 'alarm "ServerCpuTooHigh" went ALARM -> OK at 2019-10-02T17:19:40.991Z; recorded, nothing to do'],
    ['resolved', 'alertmanager-resolved.json', 'recovered', 'alarm "HelmReleaseHighErrorRate" went resolved at 2026-11-24T14:11:37.812Z; recorded, nothing to do'],
  ])('%s is recorded only', (_state, file, why, message) => {
    expect(alarmAction(one(fixture(file), { tags: TAGS }), NOT_FROZEN)).toMatchObject({ action: 'record-only', why, message });
  });

  it('INSUFFICIENT_DATA and unmapped alarms are recorded only', () => {
    expect(alarmAction({ ...alarm, state: 'INSUFFICIENT_DATA' }, NOT_FROZEN)).toMatchObject({ action: 'record-only', why: 'no-data' });
    const unmapped = one(fixture('cloudwatch-alarm-state-change-alarm.json'));
    expect(alarmAction(unmapped, NOT_FROZEN)).toMatchObject({
      action: 'record-only',
      why: 'unmapped',
      message:
        'alarm "ServerCpuTooHigh" went OK -> ALARM at 2019-10-02T17:04:40.989Z but names no release (no alarms: entry in the targets configuration and no helmstep:release / helmstep:namespace tags on the alarm; the transition is recorded only); recorded, nothing rolled back',
    });
  });

  it('deployDecision: 409 with the freeze reason while frozen, allowed otherwise', () => {
    const first = alarmAction(alarm, NOT_FROZEN);
    if (first.action !== 'rollback') throw new Error('expected a rollback');
    expect(deployDecision(WEB, NOT_FROZEN)).toEqual({ ok: true });
    expect(deployDecision(WEB, { frozen: true, ...first.freeze })).toEqual({
      ok: false,
      outcome: 'refused',
      status: 409,
      reason: 'ReleaseFrozen',
      message:
        `release "web" in namespace "shop" of cluster "prod-eu" is frozen for automatic deploys since 2019-10-02T17:04:40.989Z: ${first.freeze.reason}. ` +
        'Nothing was started. Fix the cause, then acknowledge the freeze (helmstep ack) and send the delivery again',
    });
    const target = parseTargetsConfig('targets: [{generic: {source: s}, cluster: prod-eu, namespace: shop, release: web, chart: x}]').targets[0]!;
    expect(deployDecision(target, { frozen: true, ...first.freeze })).toMatchObject({ status: 409 });
  });
});
