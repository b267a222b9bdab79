import { describe, expect, it } from 'vitest';

import { run, type RunDeps } from '../../../src/cli/run.ts';
import { decodeRelease } from '../../../src/release/codec.ts';
import { CorruptRecord } from '../../../src/release/errors.ts';
import type { Release } from '../../../src/release/record.ts';
import { ClusterUnavailable } from '../../../src/store/errors.ts';
import { KubeconfigError } from '../../../src/store/kube.ts';
import { HELM3_JSON } from '../release/fixtures.ts';
import { Capture, FakeReleaseStore } from './fake-store.ts';

/** Revision 1 as helm 3 wrote it, then an upgrade (revision 2) with new user values. */
function webHistory(): Release[] {
  const v1 = decodeRelease(Buffer.from(HELM3_JSON).toString('base64'));
  v1.info.status = 'superseded';
  const v2: Release = structuredClone(v1);
  v2.version = 2;
  v2.info.status = 'deployed';
  v2.info.description = 'Upgrade complete';
  v2.info.last_deployed = '2024-03-06T11:00:00Z';
  v2.config = { replicas: 5, image: { tag: 'v2' } };
  v2.manifest = v1.manifest!.replace('name: web', 'name: web-v2');
  return [v1, v2];
}

async function helmstep(line: string, store = new FakeReleaseStore(webHistory()), extra: Partial<RunDeps> = {}) {
  const out = new Capture();
  const err = new Capture();
  const opened: unknown[] = [];
  const code = await run(line.split(' ').filter(Boolean), {
    out,
    err,
    env: {},
    open: (opts) => {
      opened.push(opts);
      return { store, defaultNamespace: 'default' };
    },
    ...extra,
  });
  return { code, out: out.text, err: err.text, opened, store };
}

describe('helmstep commands over an in-memory store', () => {
  it('history prints helm history table, oldest first, with stored-offset ANSIC times', async () => {
    const r = await helmstep('history web');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      'REVISION\tUPDATED                 \tSTATUS    \tCHART    \tAPP VERSION\tDESCRIPTION     \n' +
        '1       \tTue Mar  5 10:15:13 2024\tsuperseded\tweb-1.2.3\t4.5.6      \tInstall complete\n' +
        '2       \tWed Mar  6 11:00:00 2024\tdeployed  \tweb-1.2.3\t4.5.6      \tUpgrade complete\n',
    );
  });

  it('history -o json prints Go JSON rows; --max keeps the newest', async () => {
    const r = await helmstep('history web -o json --max 1');
    expect(r.out).toBe(
      '[{"revision":2,"updated":"2024-03-06T11:00:00Z","status":"deployed","chart":"web-1.2.3","app_version":"4.5.6","description":"Upgrade complete"}]\n',
    );
  });

  it('history -o yaml sorts keys and quotes the timestamp', async () => {
    const r = await helmstep('history web -o yaml --max 1');
    expect(r.out).toBe(
      '- app_version: 4.5.6\n  chart: web-1.2.3\n  description: Upgrade complete\n  revision: 2\n  status: deployed\n  updated: "2024-03-06T11:00:00Z"\n',
    );
  });

  it('get values prints the newest user values under helm\'s heading; --revision, --all, -o json', async () => {
    expect((await helmstep('get values web')).out).toBe('USER-SUPPLIED VALUES:\nimage:\n  tag: v2\nreplicas: 5\n');
    expect((await helmstep('get values web --revision 1 -o yaml')).out).toBe('replicas: 3\n');
    expect((await helmstep('get values web -o json')).out).toBe('{"image":{"tag":"v2"},"replicas":5}\n');
    expect((await helmstep('get values web --all')).out).toBe(
      'COMPUTED VALUES:\nimage:\n  repository: nginx\n  tag: v2\nreplicas: 5\n',
    );
  });

  it('get values prints null when the user gave no values', async () => {
    const [v1] = webHistory();
    delete v1!.config;
    const store = new FakeReleaseStore([v1!]);
    expect((await helmstep('get values web', store)).out).toBe('USER-SUPPLIED VALUES:\nnull\n');
    expect((await helmstep('get values web -o json', store)).out).toBe('null\n');
  });

  it('get manifest and get hooks print the stored text as helm does', async () => {
    expect((await helmstep('get manifest web --revision 1')).out).toBe(
      '---\n# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n\n',
    );
    expect((await helmstep('get hooks web')).out).toBe(
      '---\n# Source: web/templates/tests/test-connection.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-test-connection\n',
    );
  });

  it('status prints helm 3\'s layout, and -o json the record without its chart', async () => {
    const table = await helmstep('status web --show-desc');
    expect(table.out).toBe(
      'NAME: web\nLAST DEPLOYED: Wed Mar  6 11:00:00 2024\nNAMESPACE: default\nSTATUS: deployed\nREVISION: 2\n' +
        // A test hook that never ran prints nothing (and no "TEST SUITE: None").
        'DESCRIPTION: Upgrade complete\nNOTES:\n1. Get the application URL\n',
    );
    const json = JSON.parse((await helmstep('status web -o json')).out) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['name', 'info', 'config', 'manifest', 'hooks', 'version', 'namespace']);
  });

  it('diff compares the previous revision with the newest: manifest, then values', async () => {
    const r = await helmstep('diff web');
    expect(r.code).toBe(0);
    expect(r.out).toContain('--- web revision 1 manifest\n+++ web revision 2 manifest\n');
    expect(r.out).toContain('-  name: web\n+  name: web-v2\n');
    expect(r.out).toContain('--- web revision 1 values\n+++ web revision 2 values\n');
    expect(r.out).toContain('@@ -1 +1,3 @@\n-replicas: 3\n+image:\n+  tag: v2\n+replicas: 5\n');
    expect((await helmstep('diff web 2 2')).out).toBe('');
  });

  it('diff of a release with one revision says there is nothing to compare (exit 1)', async () => {
    const r = await helmstep('diff web', new FakeReleaseStore(webHistory().slice(0, 1)));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: release "web" in namespace "default" has only revision 1: nothing to compare/);
  });

  it('uses -n, then $HELM_NAMESPACE, then the context namespace', async () => {
    const store = new FakeReleaseStore(webHistory().map((r) => ({ ...r, namespace: 'prod' })));
    expect((await helmstep('history web -n prod', store)).code).toBe(0);
    expect((await helmstep('history web', store, { env: { HELM_NAMESPACE: 'prod' } })).code).toBe(0);
    expect((await helmstep('history web', store)).code).toBe(1);
  });

  it('passes --kubeconfig and --kube-context to the cluster opener', async () => {
    const r = await helmstep('history web --kubeconfig /tmp/k --kube-context dev');
    expect(r.opened).toEqual([{ kubeconfig: '/tmp/k', context: 'dev' }]);
  });

  describe('errors a person can act on', () => {
    it('an unknown release: helm\'s words first, then where to look; exit 1, no stack', async () => {
      for (const line of ['history nope', 'get values nope', 'get manifest nope', 'status nope', 'diff nope']) {
        const r = await helmstep(line);
        expect(r.code).toBe(1);
        expect(r.out).toBe('');
        expect(r.err).toMatch(/^Error: release: not found: release "nope" in namespace "default" has no records; .*\n$/);
        expect(r.err).not.toMatch(/\n\s+at /);
      }
    });

    it('an unknown revision reads like helm\'s `release: not found` and names the revision', async () => {
      const r = await helmstep('get values web --revision 9');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error: release: not found: release "web" in namespace "default" has no revision 9; list its revisions with helmstep history web -n default\n$/);
    });

    it('a corrupt record names its Secret', async () => {
      const store = new FakeReleaseStore(webHistory());
      store.failWith = new CorruptRecord({ namespace: 'default', name: 'sh.helm.release.v1.web.v2' }, 'gzip', 'invalid header');
      const r = await helmstep('history web', store);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error: Secret default\/sh\.helm\.release\.v1\.web\.v2 holds a corrupt release record \(gzip stage/);
      expect(store.writes).toBe(0);
    });

    it('an unreachable cluster says where and what to check', async () => {
      const store = new FakeReleaseStore();
      store.failWith = new ClusterUnavailable('https://127.0.0.1:1', 'connect ECONNREFUSED');
      const r = await helmstep('status web', store);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error: Kubernetes cluster unreachable at https:\/\/127\.0\.0\.1:1: .*--kubeconfig/);
    });

    it('a missing kubeconfig is reported before any read', async () => {
      const r = await helmstep('history web', undefined, {
        open: () => {
          throw new KubeconfigError('kubeconfig /nope does not exist; pass an existing file to --kubeconfig');
        },
      });
      expect(r.code).toBe(1);
      expect(r.err).toBe('Error: kubeconfig /nope does not exist; pass an existing file to --kubeconfig\n');
    });

    it('a bad command line prints the usage line and exits 2 without opening the cluster', async () => {
      const r = await helmstep('history web --bogus');
      expect(r.code).toBe(2);
      expect(r.opened).toEqual([]);
      expect(r.err).toBe(
        'Error: unknown flag: --bogus\n\nUsage:  helmstep history RELEASE_NAME [flags]\n\nRun "helmstep history --help" for the flags.\n',
      );
    });

    it('help goes to stdout with exit 0', async () => {
      const r = await helmstep('get values --help');
      expect(r.code).toBe(0);
      expect(r.out).toContain('Usage:  helmstep get values RELEASE_NAME [flags]');
      expect(r.out).toContain('-a, --all');
    });

    it('an unexpected failure prints its message, the stack only with HELMSTEP_DEBUG', async () => {
      const store = new FakeReleaseStore();
      store.failWith = new Error('boom');
      const quiet = await helmstep('history web', store);
      expect(quiet.err).toBe('Error: boom\n');
      const loud = await helmstep('history web', store, { env: { HELMSTEP_DEBUG: '1' } });
      expect(loud.err).toMatch(/^Error: boom\nError: boom\n\s+at /);
    });
  });
});
