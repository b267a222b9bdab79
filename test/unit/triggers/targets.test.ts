import { describe, expect, it } from 'vitest';

import type { Delivery } from '../../../src/triggers/payloads.ts';
import {
  InvalidTargetsConfig,
  matchTarget,
  parseTargetsConfig,
  refMatches,
  resolveDeploy,
  targetLabel,
  type TargetsConfig,
} from '../../../src/triggers/targets.ts';

const YAML = `
defaultCluster: prod-eu
targets:
  - name: shop-production
    github: { repository: acme/shop, environment: production, event: deployment }
    cluster: prod-eu
    namespace: shop
    release: web
    chart: oci://registry.example.com/charts/web
    chartVersion: 1.4.2
    set: ["image.tag={{sha}}"]
    values: { replicaCount: 3 }
    gate: { bakeTime: 5m }
    atomic: true
    timeout: 10m
  - name: shop-staging
    github: { repository: acme/shop, ref: main, event: workflow_run }
    cluster: staging
    namespace: shop
    release: web
    chart: oci://registry.example.com/charts/web
    set: ["image.tag={{shortSha}}"]
  - github: { repository: acme/shop, ref: "refs/tags/v*", event: push }
    cluster: prod-eu
    namespace: shop
    release: web-canary
    chart: web
    repo: https://charts.example.com
    chartVersion: "{{ref}}"
  - generic: { source: jenkins/billing }
    cluster: prod-eu
    namespace: billing
    release: billing
    chart: oci://registry.example.com/charts/billing
    chartVersion: "{{version}}"
alarms:
  - alarm: ServerCpuTooHigh
    cluster: prod-eu
    namespace: shop
    release: web
`;

const config: TargetsConfig = parseTargetsConfig(YAML, 'targets.yaml');

const gh = (d: Partial<Delivery>): Delivery => ({ source: 'github', event: 'push', deliveryId: 'd', repository: 'acme/shop', ...d });

describe('parseTargetsConfig', () => {
  it('reads YAML and JSON alike', () => {
    expect(config.targets).toHaveLength(4);
    expect(config.alarms).toEqual([{ alarm: 'ServerCpuTooHigh', cluster: 'prod-eu', namespace: 'shop', release: 'web' }]);
    expect(parseTargetsConfig(JSON.stringify(config))).toEqual(config);
    expect(parseTargetsConfig('{"targets": []}')).toEqual({ targets: [], alarms: [] });
  });

  it.each([
    ['not YAML', 'targets: [', /^targets configuration t.yaml is invalid: not YAML or JSON \(/],
    ['no source', 'targets: [{cluster: c, namespace: n, release: r, chart: x}]', /targets\.0: a target has exactly one source: github or generic/],
    [
      'two sources',
      'targets: [{github: {repository: a/b}, generic: {source: s}, cluster: c, namespace: n, release: r, chart: x}]',
      /a target has exactly one source/,
    ],
    ['a bad release name', 'targets: [{generic: {source: s}, cluster: c, namespace: n, release: Web_1, chart: x}]', /targets\.0\.release: expected a helm release name/],
    ['a bad namespace', 'targets: [{generic: {source: s}, cluster: c, namespace: -n, release: r, chart: x}]', /targets\.0\.namespace: expected a Kubernetes namespace/],
    ['an unknown field', 'targets: [{generic: {source: s}, cluster: c, namespace: n, release: r, chart: x, wait: true}]', /Unrecognized key: "wait"/],
    ['an unknown placeholder', 'targets: [{generic: {source: s}, cluster: c, namespace: n, release: r, chart: x, set: ["a={{branch}}"]}]', /set: unknown placeholder/],
    ['a set without =', 'targets: [{generic: {source: s}, cluster: c, namespace: n, release: r, chart: x, set: ["a"]}]', /expected key=value/],
    ['a timeout that is no Go duration', 'targets: [{generic: {source: s}, cluster: c, namespace: n, release: r, chart: x, timeout: 5 minutes}]', /timeout: expected a positive Go duration/],
    ['a bad repository', 'targets: [{github: {repository: shop}, cluster: c, namespace: n, release: r, chart: x}]', /github\.repository: expected owner\/name/],
    ['an unknown event', 'targets: [{github: {repository: a/b, event: release}, cluster: c, namespace: n, release: r, chart: x}]', /github\.event/],
  ])('refuses %s, naming the origin and the field', (_name, text, message) => {
    let thrown: unknown;
    try {
      parseTargetsConfig(text, 't.yaml');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidTargetsConfig);
    expect((thrown as InvalidTargetsConfig).reason).toBe('InvalidTargetsConfig');
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).toMatch(/^targets configuration t\.yaml is invalid: .*; fix it \(see src\/triggers\/README\.md for the format\) and reload$/);
  });
});

describe('refMatches', () => {
  it.each([
    ['main', 'refs/heads/main', true],
    ['main', 'main', true],
    ['refs/heads/main', 'refs/heads/main', true],
    ['refs/heads/main', 'main', true],
    ['main', 'refs/heads/maintenance', false],
    ['release/*', 'refs/heads/release/1.2', true],
    ['refs/tags/v*', 'refs/tags/v1.2.3', true],
    ['refs/tags/v*', 'refs/heads/v1', false],
    ['v*', 'refs/tags/v1.2.3', true],
    ['main', 'refs/heads/feature/main', false],
    ['a.c', 'refs/heads/abc', false],
  ])('%s ~ %s → %s', (pattern, ref, expected) => {
    expect(refMatches(pattern, ref)).toBe(expected);
  });
});

describe('matchTarget', () => {
  it.each<[string, Partial<Delivery>, string | undefined]>([
    ['a production deployment', { event: 'deployment', ref: 'main', environment: 'Production' }, 'shop-production'],
    ['a staging CI run on main', { event: 'workflow_run', ref: 'refs/heads/main' }, 'shop-staging'],
    ['the repository in another case', { event: 'workflow_run', ref: 'refs/heads/main', repository: 'ACME/Shop' }, 'shop-staging'],
    ['a tag push', { event: 'push', ref: 'refs/tags/v1.4.3' }, 'shop/web-canary'],
    ['a deployment to another environment', { event: 'deployment', ref: 'main', environment: 'qa' }, undefined],
    ['a branch push (no push target for branches)', { event: 'push', ref: 'refs/heads/main' }, undefined],
    ['a CI run on another branch', { event: 'workflow_run', ref: 'refs/heads/dev' }, undefined],
    ['another repository', { event: 'workflow_run', ref: 'refs/heads/main', repository: 'acme/other' }, undefined],
  ])('%s', (_name, delivery, expected) => {
    const result = matchTarget(config, gh(delivery));
    if (expected === undefined) expect(result).toMatchObject({ ok: false, status: 404, reason: 'UnknownTarget' });
    else expect(result.ok && targetLabel(result.target)).toBe(expected);
  });

  it('first match wins', () => {
    const twice = parseTargetsConfig(`
targets:
  - { name: first, github: { repository: acme/shop }, cluster: c, namespace: n, release: a, chart: x }
  - { name: second, github: { repository: acme/shop, ref: main }, cluster: c, namespace: n, release: b, chart: x }
`);
    expect(matchTarget(twice, gh({ ref: 'refs/heads/main' }))).toMatchObject({ ok: true, index: 0, target: { name: 'first' } });
  });

  it('matches generic deliveries by source only', () => {
    const d: Delivery = { source: 'generic', event: 'generic', deliveryId: 'd', genericSource: 'jenkins/billing' };
    expect(matchTarget(config, d)).toMatchObject({ ok: true, index: 3 });
    expect(matchTarget(config, { ...d, genericSource: 'acme/shop' })).toEqual({
      ok: false,
      outcome: 'refused',
      status: 404,
      reason: 'UnknownTarget',
      message:
        'no target matches the generic delivery from source "acme/shop" (4 targets configured); nothing was started. ' +
        'Add a target for it to the targets configuration, or stop sending these deliveries',
    });
  });

  it('names what it looked for when nothing matches a GitHub delivery', () => {
    expect(matchTarget(config, gh({ event: 'deployment', ref: 'main', environment: 'qa' }))).toMatchObject({
      message: expect.stringMatching(/^no target matches the GitHub deployment of acme\/shop, ref main, environment "qa" \(4 targets configured\)/) as unknown,
    });
  });
});

describe('resolveDeploy', () => {
  it('fills placeholders from the delivery and carries the rest of the target', () => {
    const d = gh({ event: 'deployment', ref: 'main', environment: 'production', sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e' });
    expect(resolveDeploy(config.targets[0]!, d)).toEqual({
      ok: true,
      deploy: {
        target: 'shop-production',
        release: { cluster: 'prod-eu', namespace: 'shop', name: 'web' },
        chart: 'oci://registry.example.com/charts/web',
        chartVersion: '1.4.2',
        set: ['image.tag=f95f852bd8fca8fcc58a9a2d6c842781e32a215e'],
        setTemplated: [true],
        values: { replicaCount: 3 },
        gate: { bakeTime: '5m' },
        atomic: true,
        timeout: '10m',
      },
    });
    expect(resolveDeploy(config.targets[1]!, gh({ sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e' }))).toMatchObject({ deploy: { set: ['image.tag=f95f852'] } });
    expect(resolveDeploy(config.targets[2]!, gh({ ref: 'refs/tags/v1.4.3' }))).toMatchObject({ deploy: { chartVersion: 'v1.4.3', repo: 'https://charts.example.com' } });
  });

  it('refuses with 400 when the delivery lacks a value the target needs, or it is unsafe for --set', () => {
    const generic: Delivery = { source: 'generic', event: 'generic', deliveryId: 'd', genericSource: 'jenkins/billing' };
    expect(resolveDeploy(config.targets[3]!, generic)).toEqual({
      ok: false,
      outcome: 'refused',
      status: 400,
      reason: 'InvalidPayload',
      message: 'target "billing/billing" uses {{version}} but the delivery has no version; send it in the delivery or change the target',
    });
    expect(resolveDeploy(config.targets[2]!, gh({ ref: 'refs/tags/v1,x=y' }))).toMatchObject({
      status: 400,
      message: 'the delivery\'s ref "v1,x=y" has characters that cannot go into a helm value; send it in the delivery or change the target',
    });
  });
});
