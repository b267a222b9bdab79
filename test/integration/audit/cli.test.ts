/**
 * `helmstep audit history|events|verify` and the auditor HTTP API over a real dynalite: the CLI
 * function run() with HELMSTEP_DYNAMODB_ENDPOINT pointing at it, a release with 1,050 events and
 * a few revisions; table, JSON and CSV; pagination; verify failing after the table is altered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { auditApi } from '../../../src/audit/http.ts';
import { AuditQueries, AuditStore, type AuditEvent, type Outcome } from '../../../src/audit/index.ts';
import { eventSk, releasePk } from '../../../src/audit/keys.ts';
import { run } from '../../../src/cli/run.ts';
import { startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';
import { openLocalServices, type LocalServices } from '../../../src/local/state.ts';
import { input, release } from '../../unit/audit/fixtures.ts';

const N = 1050;
const OUTCOMES: Outcome[] = ['started', 'succeeded', 'failed', 'rolled-back', 'succeeded'];
const BASE = Date.UTC(2026, 10, 24, 14, 0, 0);
const web = { cluster: 'prod-eu', namespace: 'shop', name: 'web' };
const api = { cluster: 'prod-eu', namespace: 'shop', name: 'api' };
const at = (i: number) => new Date(BASE + i * 1000).toISOString();

let db: LocalDynamo;
let services: LocalServices;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  db = await startDynalite();
  dir = mkdtempSync(join(tmpdir(), 'helmstep-audit-cli-'));
  env = { HELMSTEP_DYNAMODB_ENDPOINT: db.endpoint, HELMSTEP_STATE_DIR: dir, HELMSTEP_CLUSTER_NAME: 'prod-eu', HOME: dir };
  services = await openLocalServices(env);
  const store = new AuditStore({ client: services.dynamo, tableName: services.tables.audit, objects: services.objects });
  await store.putRevision(web, release(1));
  await store.putRevision(web, release(2));
  await store.putRevision(web, release(3, { info: { ...release(3).info, status: 'failed', description: 'Upgrade "web" failed: a, b\nline 2' } }));
  const appendAll = async (ref: typeof web, n: number, offset: number) => {
    for (let i = 1; i <= n; i++) {
      await store.append(
        input(0, {
          release: ref,
          time: at(offset + i * 2),
          actor: i % 2 === 0 ? 'github:alice' : 'cli:bob',
          outcome: OUTCOMES[i % 5]!,
          step: `step-${i}`,
          executionId: `exec-${ref.name}-${i}`,
          toRevision: 1 + (i % 3),
        }),
      );
    }
  };
  // api's events fall between web's: the time queries interleave releases.
  await Promise.all([appendAll(web, N, 0), appendAll(api, 20, 1)]);
}, 300_000);
afterAll(async () => {
  await services?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(['audit', ...argv], {
    out: { write: (s: string) => (stdout += s) },
    err: { write: (s: string) => (stderr += s) },
    env,
    open: () => {
      throw new Error('the audit queries must not open the cluster');
    },
  });
  return { code, stdout, stderr };
}

const json = <T>(s: string) => JSON.parse(s) as T;

describe('helmstep audit history', () => {
  it('prints the recorded revisions as helm history does', async () => {
    const r = await cli(['history', 'web', '-n', 'shop']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'REVISION\tUPDATED                 \tSTATUS  \tCHART       \tAPP VERSION\tDESCRIPTION               ',
        '1       \tTue Nov 24 14:05:00 2026\tdeployed\twebapp-1.2.3\t4.5.6      \tInstall complete          ',
        '2       \tTue Nov 24 14:05:00 2026\tdeployed\twebapp-1.2.3\t4.5.6      \tUpgrade complete          ',
        // helm's uitable resizes a multi-line cell as a whole: the description is cut as helm cuts it.
        '3       \tTue Nov 24 14:05:00 2026\tfailed  \twebapp-1.2.3\t4.5.6      \tUpgrade "web" failed: a...',
        '',
      ].join('\n'),
    );
  });

  it('JSON is one array of the stored summaries; CSV quotes as RFC 4180', async () => {
    const j = await cli(['history', 'web', '-n', 'shop', '-o', 'json']);
    const rows = json<{ revision: number; status: string; digest: string; ref: unknown }[]>(j.stdout);
    expect(rows.map((r) => [r.revision, r.status])).toEqual([
      [1, 'deployed'],
      [2, 'deployed'],
      [3, 'failed'],
    ]);
    expect(rows[0]).toMatchObject({ ref: web, digest: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    const c = await cli(['history', 'web', '-n', 'shop', '-o', 'csv']);
    const lines = c.stdout.split('\r\n');
    expect(lines[0]).toBe('revision,updated,status,chart,app_version,description,digest,recorded_at,storage');
    expect(lines[1]).toMatch(/^1,2026-11-24T14:05:00\.5Z,deployed,webapp-1\.2\.3,4\.5\.6,Install complete,[0-9a-f]{64},\d{4}-.*Z,inline$/);
    expect(c.stdout).toContain(',"Upgrade ""web"" failed: a, b\nline 2",');
    expect(lines.at(-1)).toBe('');
  });

  it('a release the log does not have is an error naming it; no cluster is needed', async () => {
    const r = await cli(['history', 'nope', '-n', 'shop']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error: the audit log has no revisions of release "nope" in namespace "shop" of cluster "prod-eu"; check -n and --cluster, or run helmstep audit reconcile to copy the cluster\'s revisions\n',
    );
    const other = await cli(['history', 'web', '-n', 'shop', '--cluster', 'prod-us']);
    expect(other.stderr).toContain('of cluster "prod-us"');
  });
});

describe('helmstep audit events', () => {
  it(`reads a release's ${N} events in chain order, across pages`, async () => {
    const r = await cli(['events', 'web', '-n', 'shop', '--all-pages', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const events = json<AuditEvent[]>(r.stdout);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(events[9]).toMatchObject({ step: 'step-10', actor: 'github:alice', outcome: 'started', executionId: 'exec-web-10', release: web });
  });

  it('pages by --limit and --cursor: every event once, no page over the limit', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await cli(['events', 'web', '-n', 'shop', '--limit', '400', '-o', 'csv', ...(cursor ? ['--cursor', cursor] : [])]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\r\n').filter((l) => l !== '');
      expect(lines[0]).toBe('time,cluster,namespace,release,seq,step,outcome,actor,execution,from,to,error,hash');
      expect(lines.length - 1).toBeLessThanOrEqual(400);
      seen.push(...lines.slice(1).map((l) => Number(l.split(',')[4])));
      cursor = /^next page: --cursor (\S+)$/m.exec(r.stderr)?.[1];
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  });

  it('filters by outcome; the table has helm-like columns', async () => {
    const r = await cli(['events', 'web', '-n', 'shop', '--outcome', 'rolled-back', '--all-pages']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+\tSEQ\s*\tSTEP\s*\tOUTCOME\s*\tACTOR\s*\tEXECUTION\s*\tFROM\s*\tTO\s*$/);
    expect(lines.length - 1).toBe(N / 5);
    expect(lines[1]).toMatch(/^2026-11-24T14:00:06\.000Z\t3\s*\tstep-3\s*\trolled-back\tcli:bob\s*\texec-web-3\s*\t\s*\t1\s*$/);
  });

  it('across releases: a time range (--since/--until, RFC 3339), one actor, with outcomes', async () => {
    const range = await cli(['events', '--since', at(1), '--until', at(21), '-o', 'json']);
    expect(range.code, range.stderr).toBe(0);
    const rows = json<AuditEvent[]>(range.stdout);
    // web's events at 2, 4, …, 20 s and api's at 3, 5, …, 21 s (the end is exclusive).
    expect(rows.map((e) => `${e.release.name}#${e.seq}`)).toEqual(
      Array.from({ length: 19 }, (_, k) => (k % 2 === 0 ? `web#${k / 2 + 1}` : `api#${(k + 1) / 2}`)),
    );
    const bob = await cli(['events', '--actor', 'cli:bob', '--outcome', 'failed,succeeded', '--all-pages', '-o', 'json']);
    const mine = json<AuditEvent[]>(bob.stdout);
    const expected = (n: number) => Array.from({ length: n }, (_, i) => i + 1).filter((i) => i % 2 === 1 && ['failed', 'succeeded'].includes(OUTCOMES[i % 5]!)).length;
    expect(mine.length).toBe(expected(N) + expected(20));
    expect(mine.every((e) => e.actor === 'cli:bob' && (e.outcome === 'failed' || e.outcome === 'succeeded'))).toBe(true);
    expect(mine.map((e) => e.time)).toEqual([...mine.map((e) => e.time)].sort());
    const table = await cli(['events', '--actor', 'github:alice', '--since', at(0), '--until', at(9)]);
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME\s+\tRELEASE\s*\tSEQ/);
    expect(table.stdout).toContain('\tshop/web\t');
  });

  it('refuses what it cannot answer, with the usage line (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['events', 'web', '--since', '24h'], '--since, --until and --actor query events across releases'],
      [['events', '--since', 'yesterday'], 'invalid argument for "--since": "yesterday" is neither an RFC 3339 time'],
      [['events', 'web', '--outcome', 'exploded'], 'invalid argument "exploded" for "--outcome"'],
      [['history', 'web', '-o', 'yaml'], 'invalid argument "yaml" for "-o, --output"'],
      [['history', 'web', '--limit', '5000'], 'invalid argument "5000" for "--limit"'],
      [['history'], '"helmstep audit history" requires a release name'],
      [['history', 'Not_A_Name'], 'Not_A_Name'],
      [['tail', 'web'], 'unknown command "tail" for "helmstep audit"'],
      [['verify', 'web', '--bogus'], "unknown option '--bogus'"],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect([argv, r.code]).toEqual([argv, 2]);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toMatch(/Usage: {2}helmstep audit|Run "helmstep audit --help"/);
      expect(r.stdout).toBe('');
    }
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('helmstep audit verify RELEASE');
  });
});

describe('the auditor HTTP API over the same table', () => {
  it('pages a release\'s events and an actor\'s events', async () => {
    const handle = auditApi({
      queries: new AuditQueries({ client: services.dynamo, tableName: services.tables.audit }),
      store: new AuditStore({ client: services.dynamo, tableName: services.tables.audit }),
    });
    const seqs: number[] = [];
    let cursor: string | undefined;
    do {
      const r = await handle({ method: 'GET', path: '/audit/releases/prod-eu/shop/web/events', query: { limit: '300', cursor } });
      expect(r.status, r.body).toBe(200);
      const page = json<{ items: AuditEvent[]; cursor?: string }>(r.body);
      seqs.push(...page.items.map((e) => e.seq));
      cursor = page.cursor;
    } while (cursor);
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    const rev = await handle({ method: 'GET', path: '/audit/releases/prod-eu/shop/web/revisions/3', query: {} });
    expect(json<{ release: { info: { status: string } } }>(rev.body).release.info.status).toBe('failed');
    const bad = await handle({ method: 'GET', path: '/audit/releases/prod-eu/shop/web/events', query: { cursor: 'bm90IGEgY3Vyc29y' } });
    expect(bad.status).toBe(400);
    expect(json<{ error: { reason: string } }>(bad.body).error.reason).toBe('InvalidCursor');
  });
});

describe('helmstep audit verify', () => {
  const key = (seq: number) => ({ pk: { S: releasePk(web) }, sk: { S: eventSk(seq) } });
  const table = () => services.tables.audit;

  it('passes on an intact chain, then fails naming the first altered, removed or reordered event', async () => {
    const ok = await cli(['verify', 'web', '-n', 'shop']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^verified: ${N} events of release "web" in namespace "shop" of cluster "prod-eu", hash chain intact \\(head: event ${N}, sha256 [0-9a-f]{64}\\)\\n$`));

    // Altered: event 500's step changed in place.
    const original = (await services.dynamo.send(new GetItemCommand({ TableName: table(), Key: key(500) }))).Item!;
    await services.dynamo.send(new PutItemCommand({ TableName: table(), Item: { ...original, step: { S: 'step-quietly-changed' } } }));
    const altered = await cli(['verify', 'web', '-n', 'shop']);
    expect(altered.code).toBe(1);
    expect(altered.stderr).toMatch(/^Error: audit log of release "web" in namespace "shop" of cluster "prod-eu" fails verification at event 500 \(altered\): /);
    const asJson = await cli(['verify', 'web', '-n', 'shop', '-o', 'json']);
    expect(json<{ ok: boolean; seq: number; reason: string }>(asJson.stdout)).toMatchObject({ ok: false, seq: 500, reason: 'altered' });
    await services.dynamo.send(new PutItemCommand({ TableName: table(), Item: original }));
    expect((await cli(['verify', 'web', '-n', 'shop'])).code).toBe(0);

    // Reordered: events 700 and 701 swap places (each item moved under the other's key).
    const e700 = (await services.dynamo.send(new GetItemCommand({ TableName: table(), Key: key(700) }))).Item!;
    const e701 = (await services.dynamo.send(new GetItemCommand({ TableName: table(), Key: key(701) }))).Item!;
    await services.dynamo.send(new PutItemCommand({ TableName: table(), Item: { ...e701, ...key(700) } }));
    await services.dynamo.send(new PutItemCommand({ TableName: table(), Item: { ...e700, ...key(701) } }));
    const reordered = await cli(['verify', 'web', '-n', 'shop']);
    expect(reordered.code).toBe(1);
    expect(reordered.stderr).toMatch(/fails verification at event 700 \(reordered\): event 700 is stored at position 701/);
    await services.dynamo.send(new PutItemCommand({ TableName: table(), Item: e700 }));
    await services.dynamo.send(new PutItemCommand({ TableName: table(), Item: e701 }));

    // Removed: event 900 deleted.
    await services.dynamo.send(new DeleteItemCommand({ TableName: table(), Key: key(900) }));
    const removed = await cli(['verify', 'web', '-n', 'shop']);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toMatch(/fails verification at event 900 \(missing\): event 900 is missing \(the next stored event is 901\)/);
  });
});
