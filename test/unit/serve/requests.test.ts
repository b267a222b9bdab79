/** The execution inputs the triggers build (pure). */
import { describe, expect, it } from 'vitest';

import { DeployRequestSchema, RollbackRequestSchema } from '../../../src/orchestration/request.ts';
import { deployRequest, rollbackRequest, servedConfig, valuesToSet } from '../../../src/serve/requests.ts';
import { InvalidTargetsConfig, parseTargetsConfig } from '../../../src/triggers/targets.ts';

describe('valuesToSet', () => {
  it('strings as set-string, scalars as set, nested keys and arrays by path, helm separators escaped', () => {
    expect(valuesToSet({ message: 'a, b', replicas: 3, on: true, off: null, image: { tag: '007' }, 'a.b': 'x', list: ['p', { q: 1 }], '{x': '{y}' })).toEqual([
      { kind: 'set-string', value: 'message=a\\, b' },
      { kind: 'set', value: 'replicas=3' },
      { kind: 'set', value: 'on=true' },
      { kind: 'set', value: 'off=null' },
      { kind: 'set-string', value: 'image.tag=007' },
      { kind: 'set-string', value: 'a\\.b=x' },
      { kind: 'set-string', value: 'list[0]=p' },
      { kind: 'set', value: 'list[1].q=1' },
      { kind: 'set-string', value: '{x=\\{y}' },
    ]);
  });
});

const config = parseTargetsConfig(`
targets:
  - name: web
    github: { repository: acme/shop, event: push }
    cluster: kind
    namespace: shop
    release: web
    chart: ./charts/web
    values: { replicaCount: 2 }
    set: ["image.tag={{shortSha}}", "replicaCount=3"]
    atomic: true
    timeout: 90s
    gate: { bake: 2m, alarms: [web-5xx] }
  - generic: { source: ci/other }
    cluster: other
    namespace: shop
    release: other
    chart: ./charts/other
`);

describe('deployRequest and rollbackRequest', () => {
  it('a push → a valid deploy request with its trigger; placeholder entries as set-string', () => {
    const served = servedConfig(config, 'kind');
    const t = served.config.targets[0]!;
    const req = deployRequest({
      executionName: 'github-x',
      delivery: { source: 'github', event: 'push', deliveryId: 'x', repository: 'acme/shop', ref: 'refs/heads/main', sha: '1234567aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', actor: 'octocat' },
      deploy: {
        target: 'web',
        release: { cluster: 'kind', namespace: 'shop', name: 'web' },
        chart: t.chart,
        values: t.values!,
        set: ['image.tag=1234567', 'replicaCount=3'],
        setTemplated: [true, false],
        gate: t.gate!,
        atomic: true,
        timeout: '90s',
      },
    });
    const parsed = DeployRequestSchema.parse(req);
    expect(parsed).toMatchObject({
      cluster: 'kind',
      namespace: 'shop',
      name: 'web',
      chart: './charts/web',
      values: { set: [{ kind: 'set', value: 'replicaCount=2' }, { kind: 'set-string', value: 'image.tag=1234567' }, { kind: 'set', value: 'replicaCount=3' }] },
      rollbackOnFailure: true,
      timeoutSeconds: 90,
      gate: { bakeSeconds: 120, alarms: { names: ['web-5xx'] } },
      trigger: { actor: 'github:octocat', kind: 'github-push', deliveryId: 'x', commit: '1234567aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
    });
  });

  it('a generic sender is a system actor; workflow_run becomes a valid trigger kind', () => {
    const base = { executionName: 'n', deploy: { target: 't', release: { cluster: 'c', namespace: 'n', name: 'r' }, chart: 'c' } };
    expect(DeployRequestSchema.parse(deployRequest({ ...base, delivery: { source: 'generic', event: 'generic', deliveryId: 'd', genericSource: 'ci/billing', actor: 'jenkins' } })).trigger).toEqual({
      actor: 'system:webhook/ci/billing/jenkins',
      kind: 'generic-webhook',
      deliveryId: 'd',
    });
    expect(DeployRequestSchema.parse(deployRequest({ ...base, delivery: { source: 'github', event: 'workflow_run', deliveryId: 'd', actor: 'a' } })).trigger?.kind).toBe('github-workflow-run');
  });

  it('an alarm → a rollback to the previous revision, actor alarm:<name>', () => {
    const req = rollbackRequest({ cluster: 'c', namespace: 'n', name: 'web' }, { source: 'cloudwatch', alarmId: 'arn:aws:cloudwatch:us-east-1:1:alarm:Cpu', alarmName: 'Cpu', state: 'ALARM', time: '2026-01-01T00:00:00.000Z' });
    expect(RollbackRequestSchema.parse(req)).toMatchObject({ target: 0, trigger: { actor: 'alarm:Cpu', kind: 'alarm', alarmId: 'arn:aws:cloudwatch:us-east-1:1:alarm:Cpu' } });
  });
});

describe('servedConfig', () => {
  it('keeps this cluster\'s targets, lists the others, reads gates in the gate file form', () => {
    const served = servedConfig(config, 'kind');
    expect(served.config.targets.map((t) => t.release)).toEqual(['web']);
    expect(served.skipped).toEqual(['shop/other (cluster "other")']);
  });

  it('a gate that is not a gate is refused at load, naming the target', () => {
    const bad = parseTargetsConfig('targets: [{ generic: { source: s }, cluster: kind, namespace: n, release: r, chart: c, gate: { bakeTime: 5m } }]');
    expect(() => servedConfig(bad, 'kind', 'targets.yaml')).toThrow(InvalidTargetsConfig);
    expect(() => servedConfig(bad, 'kind', 'targets.yaml')).toThrow(/targets configuration targets.yaml is invalid: .*targets\.0\.gate/);
  });
});
