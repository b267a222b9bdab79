import { randomBytes } from 'node:crypto';

import type { Release } from '../../../src/release/record.ts';
import { sealEvent, type AuditEvent, type AuditEventInput } from '../../../src/audit/events.ts';

export const REF = { cluster: 'prod-eu', namespace: 'shop', name: 'web' } as const;

/** An input for step `n` of one execution, at a fixed time n seconds after a base. */
export function input(n: number, over: Partial<AuditEventInput> = {}): AuditEventInput & { time: string } {
  return {
    release: REF,
    time: new Date(Date.UTC(2026, 10, 24, 14, 0, n)).toISOString(),
    actor: 'github:alice',
    trigger: { kind: 'github-push', deliveryId: `delivery-${n}`, commit: 'a'.repeat(40) },
    executionId: 'arn:aws:states:eu-west-1:123456789012:execution:deploy:run-1',
    step: `step-${n}`,
    outcome: 'succeeded',
    toRevision: 7,
    ...over,
  };
}

/** A valid chain of `n` events. */
export function chain(n: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 1; i <= n; i++) events.push(sealEvent(input(i), events.at(-1)));
  return events;
}

/** A plain Helm release record of `web` in `shop`. */
export function release(version: number, over: Partial<Release> = {}): Release {
  return {
    name: 'web',
    namespace: 'shop',
    version,
    info: {
      first_deployed: '2026-11-24T14:00:00.123456789Z',
      last_deployed: '2026-11-24T14:05:00.5Z',
      description: version === 1 ? 'Install complete' : 'Upgrade complete',
      status: 'deployed',
    },
    chart: { metadata: { name: 'webapp', version: '1.2.3', appVersion: '4.5.6' }, templates: [], values: { replicas: 1 } },
    config: { image: { tag: `v${version}` } },
    manifest: `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  rev: "${version}"\n`,
    ...over,
  };
}

/** A record whose encoded text is about `bytes` long: incompressible chart file data. */
export function bigRelease(version: number, bytes: number): Release {
  const data = randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');
  return release(version, { chart: { metadata: { name: 'webapp', version: '1.2.3' }, files: [{ name: 'blob.bin', data }] } });
}
