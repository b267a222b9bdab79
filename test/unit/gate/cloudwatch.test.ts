import { CloudWatchClient, CloudWatchServiceException, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { describeAlarmStates } from '../../../src/gate/cloudwatch.ts';
import { AlarmsUnavailable, GateFailed } from '../../../src/gate/errors.ts';
import { gateDeps, gatePoller } from '../../../src/gate/poller.ts';
import { pollGate } from '../../../src/gate/evaluate.ts';
import { parseGateSpec } from '../../../src/gate/spec.ts';
import type { OrchestrationDeps } from '../../../src/orchestration/deps.ts';

const cw = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

afterEach(() => cw.reset());

function serviceError(name: string, status: number) {
  return new CloudWatchServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: `${name} happened` });
}

describe('describeAlarmStates', () => {
  it('asks for metric and composite alarms by name and reads both kinds', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'api-5xx', StateValue: 'OK', StateReason: 'fine' }],
      CompositeAlarms: [{ AlarmName: 'api-health', StateValue: 'INSUFFICIENT_DATA' }],
    });
    expect(await describeAlarmStates(client, ['api-5xx', 'api-health'])).toEqual([
      { name: 'api-5xx', state: 'OK', reason: 'fine' },
      { name: 'api-health', state: 'INSUFFICIENT_DATA' },
    ]);
    const calls = cw.commandCalls(DescribeAlarmsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ AlarmNames: ['api-5xx', 'api-health'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: undefined });
  });

  it('follows NextToken, and asks for at most 100 names per call', async () => {
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'n0', StateValue: 'OK' }], NextToken: 't1' })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'n1', StateValue: 'ALARM' }] })
      .resolves({ MetricAlarms: [{ AlarmName: 'n100', StateValue: 'OK' }] });
    const names = Array.from({ length: 101 }, (_, i) => `n${i}`);
    const got = await describeAlarmStates(client, names);
    expect(got.map((a) => `${a.name}:${a.state}`)).toEqual(['n0:OK', 'n1:ALARM', 'n100:OK']);
    const inputs = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.AlarmNames?.length, i.NextToken])).toEqual([
      [100, undefined],
      [100, 't1'],
      [1, undefined],
    ]);
  });

  it.each([
    ['Throttling', 400, true],
    ['InternalServiceError', 500, true],
    ['AccessDenied', 403, false],
    ['InvalidParameterValue', 400, false],
  ])('%s (HTTP %i) is AlarmsUnavailable, retryable: %s', async (name, status, retryable) => {
    cw.on(DescribeAlarmsCommand).rejects(serviceError(name, status));
    const got = await describeAlarmStates(client, ['a']).catch((e: unknown) => e);
    expect(got).toBeInstanceOf(AlarmsUnavailable);
    expect((got as AlarmsUnavailable).retryable).toBe(retryable);
    expect((got as AlarmsUnavailable).message).toContain(`could not read the CloudWatch alarms "a": ${name}: ${name} happened`);
  });
});

describe('the gate on CloudWatch through the mock', () => {
  const spec = parseGateSpec({ bakeSeconds: 20, intervalSeconds: 10, alarms: { names: ['api-5xx'] } });
  const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + s * 1000);

  it('OK, OK, OK through the bake: passed', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'api-5xx', StateValue: 'OK' }] });
    const deps = gateDeps({ cloudwatch: client });
    const p1 = await pollGate(deps, spec, undefined, at(0));
    const p2 = await pollGate(deps, spec, p1.state, at(10));
    const p3 = await pollGate(deps, spec, p2.state, at(20));
    expect([p1.status, p2.status, p3.status]).toEqual(['pending', 'pending', 'passed']);
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(3);
  });

  it('OK then ALARM: failed, and the GatePoller throws GateFailed (remediated by the deploy machine)', async () => {
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'api-5xx', StateValue: 'OK' }] })
      .resolves({ MetricAlarms: [{ AlarmName: 'api-5xx', StateValue: 'ALARM', StateReason: 'Threshold Crossed' }] });
    const poller = gatePoller({ cloudwatch: client });
    const orch = {} as OrchestrationDeps;
    const first = await poller(orch, spec, undefined, at(0));
    expect(first).toMatchObject({ done: false, seconds: 10, progress: 'bake 0/20 s, 1 evaluation: alarms OK (1)' });
    const err = await poller(orch, spec, first.state, at(10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GateFailed);
    expect(err).toMatchObject({ reason: 'GateFailed', check: 'api-5xx', value: 'ALARM', text: 'CloudWatch alarm "api-5xx" is ALARM: Threshold Crossed' });
  });

  it('INSUFFICIENT_DATA through the bake: still pending at its end', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'api-5xx', StateValue: 'INSUFFICIENT_DATA' }] });
    const deps = gateDeps({ cloudwatch: client });
    let state;
    for (const t of [0, 10, 20, 30]) {
      const p = await pollGate(deps, spec, state, at(t));
      expect(p.status).toBe('pending');
      state = p.state;
    }
  });

  it('throttled once, then OK: the error is counted and forgotten, the gate passes', async () => {
    cw.on(DescribeAlarmsCommand)
      .rejectsOnce(Object.assign(serviceError('Throttling', 400), { $retryable: { throttling: true } }))
      .resolves({ MetricAlarms: [{ AlarmName: 'api-5xx', StateValue: 'OK' }] });
    const deps = gateDeps({ cloudwatch: client });
    const p1 = await pollGate(deps, spec, undefined, at(0));
    expect(p1).toMatchObject({ status: 'pending', state: { alarmErrors: 1 } });
    expect(p1.status === 'pending' && p1.progress).toMatch(/alarms unreadable \(1\/5\)/);
    const p2 = await pollGate(deps, spec, p1.state, at(10));
    const p3 = await pollGate(deps, spec, p2.state, at(20));
    expect(p3).toMatchObject({ status: 'passed', state: { alarmErrors: 0 } });
  });
});
