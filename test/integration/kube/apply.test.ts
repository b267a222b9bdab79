/**
 * The Kubernetes client and helm 4's apply layer on the real control plane, checked against
 * what the real helm 3 and helm 4 binaries do in the same situations.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { applyRelease, deleteDropped, detectDrift } from '../../../src/kube/apply.ts';
import { openKubeClient, resolveNamespace, type HttpKubeClient } from '../../../src/kube/client.ts';
import { ApplyConflict, KindNotServed } from '../../../src/kube/errors.ts';
import { hasClientSideFields } from '../../../src/kube/managed-fields.ts';
import { identityKey, OwnershipConflict, parseManifest, sortByKind, withOwnership } from '../../../src/kube/manifest.ts';
import type { KubeObject, ObjectRef } from '../../../src/kube/types.ts';
import { helm, helmOk, kubeConfig, useNamespace, type Run } from '../../harness/cluster.ts';

// ---- a small chart: a ConfigMap, a Deployment, and optionally a ConfigMap of a given name ------

const chartRoot = mkdtempSync(join(tmpdir(), 'helmstep-kube-chart-'));
const chart = join(chartRoot, 'kubeapp');
mkdirSync(join(chart, 'templates'), { recursive: true });
writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: kubeapp\nversion: 0.1.0\nappVersion: "1.0"\n');
writeFileSync(join(chart, 'values.yaml'), 'message: hello\nreplicas: 1\ntaken: ""\n');
writeFileSync(
  join(chart, 'templates', 'configmap.yaml'),
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  message: {{ .Values.message | quote }}\n',
);
writeFileSync(
  join(chart, 'templates', 'taken.yaml'),
  '{{- if .Values.taken }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.taken }}\ndata:\n  from: chart\n{{- end }}\n',
);
writeFileSync(
  join(chart, 'templates', 'deployment.yaml'),
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Release.Name }}',
    'spec:',
    '  replicas: {{ .Values.replicas }}',
    '  selector:',
    '    matchLabels: { app: {{ .Release.Name }} }',
    '  template:',
    '    metadata:',
    '      labels: { app: {{ .Release.Name }} }',
    '    spec:',
    '      containers:',
    '        - name: app',
    '          image: registry.example.com/app:1.0',
    '',
  ].join('\n'),
);
afterAll(() => rmSync(chartRoot, { recursive: true, force: true }));

// ---- helpers ----------------------------------------------------------------------------------

/** The real kubectl; HOME is the test's temporary folder, so its discovery cache lands there. */
function kubectl(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(inject('kubectl'), [...args, '--kubeconfig', inject('kubeconfig')], { env: { PATH: process.env.PATH, HOME: chartRoot, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function kubectlOk(args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const r = await kubectl(args, env);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** The real `kubectl edit` (field manager kubectl-edit), with sed as the editor. */
function kubectlEdit(namespace: string, resource: string, from: string, to: string): Promise<string> {
  return kubectlOk(['edit', resource, '-n', namespace], { KUBE_EDITOR: `sed -i s/${from}/${to}/` });
}

/** A manifest's objects as the engine hands them over: namespaces resolved, ownership set, kind order. */
async function targetsOf(client: HttpKubeClient, manifest: string, release: string, namespace: string): Promise<KubeObject[]> {
  const resolved = [];
  for (const m of parseManifest(manifest)) resolved.push({ source: m.source, object: await resolveNamespace(client, m.object, namespace) });
  return sortByKind(resolved, 'install').map((m) => withOwnership(m.object, release, namespace));
}

function template(release: string, namespace: string, set: readonly string[]): Promise<string> {
  return helmOk(4, ['template', release, chart, '-n', namespace, ...set.flatMap((s) => ['--set', s])]);
}

/** The text after helm's `Error: <PREFIX>: ` line prefix. */
function helmError(r: Run, prefix: string): string {
  const line = r.stderr.split('\n').find((l) => l.startsWith(`Error: ${prefix}: `));
  if (!line) throw new Error(`helm printed no "Error: ${prefix}:" line:\n${r.stderr}`);
  return line.slice(`Error: ${prefix}: `.length);
}

const cmRef = (namespace: string, name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });

function configMap(namespace: string, name: string, data: Record<string, string>, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, data };
}

// ---- tests ------------------------------------------------------------------------------------

describe('the Kubernetes client and the apply layer on the real API server', () => {
  const ns = useNamespace('kube-apply');
  let client: HttpKubeClient;
  beforeAll(() => {
    client = openKubeClient(kubeConfig());
  });
  afterAll(() => client.close());

  it('server-side applies with manager helm: created on the first apply, updated after', async () => {
    const first = await client.apply(configMap(ns.name, 'ssa', { message: 'one' }), { force: false });
    expect(first.created).toBe(true);
    const second = await client.apply(configMap(ns.name, 'ssa', { message: 'two' }), { force: false });
    expect(second.created).toBe(false);
    expect(second.object.data).toEqual({ message: 'two' });
    const helmEntries = (second.object.metadata.managedFields ?? []).filter((e) => e.manager === 'helm');
    expect(helmEntries).toHaveLength(1);
    expect(helmEntries[0]).toMatchObject({ operation: 'Apply', apiVersion: 'v1' });
    expect(helmEntries[0]?.fieldsV1).toEqual({ 'f:data': { 'f:message': {} } });
  });

  it('a kubectl-edited field makes a non-forced apply fail with helm 4 text; a forced apply takes it back', async () => {
    await helmOk(4, ['install', 'conf', chart, '-n', ns.name, '--set', 'message=hello-conf']);
    await kubectlEdit(ns.name, 'configmap/conf-config', 'hello-conf', 'edited-conf');

    const byHelm = await helm(4, ['upgrade', 'conf', chart, '-n', ns.name, '--set', 'message=v2']);
    expect(byHelm.code).not.toBe(0);
    const helmText = helmError(byHelm, 'UPGRADE FAILED');

    const manifest = await template('conf', ns.name, ['message=v2']);
    const target = (await targetsOf(client, manifest, 'conf', ns.name)).find((o) => o.kind === 'ConfigMap')!;
    const err = await client.apply(target, { force: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyConflict);
    expect((err as ApplyConflict).helmText).toBe(helmText);
    expect(helmText).toBe(
      `conflict occurred while applying object ${ns.name}/conf-config /v1, Kind=ConfigMap: ` +
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.message',
    );
    expect((err as ApplyConflict).conflicts).toEqual([{ manager: 'kubectl-edit', field: '.data.message' }]);
    expect((await client.get(cmRef(ns.name, 'conf-config')))?.data).toEqual({ message: 'edited-conf' });

    const forced = await client.apply(target, { force: true });
    expect(forced.object.data).toEqual({ message: 'v2' });
    const editEntry = forced.object.metadata.managedFields?.find((e) => e.manager === 'kubectl-edit');
    expect(JSON.stringify(editEntry?.fieldsV1 ?? {})).not.toContain('f:message');
  });

  it('refuses an unowned live object with the exact text of `helm install`, before writing anything', async () => {
    await kubectlOk(['create', 'configmap', 'taken', '-n', ns.name, '--from-literal=owner=someone']);
    const targets = await targetsOf(client, await template('own', ns.name, ['taken=taken']), 'own', ns.name);
    const err = await applyRelease(client, {
      release: 'own',
      namespace: ns.name,
      targets,
      currentKeys: new Set(),
      force: false,
      takeOverClientSide: false,
      verb: 'install',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OwnershipConflict);
    expect(await client.get(cmRef(ns.name, 'own-config'))).toBeUndefined();

    const byHelm = await helm(4, ['install', 'own', chart, '-n', ns.name, '--set', 'taken=taken']);
    expect(byHelm.code).not.toBe(0);
    expect((err as OwnershipConflict).helmText).toBe(helmError(byHelm, 'INSTALLATION FAILED'));
    expect((err as OwnershipConflict).helmText).toMatch(
      /^unable to continue with install: ConfigMap "taken" in namespace "[^"]+" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io\/managed-by"/,
    );
  });

  it('takes over helm 3 client-side fields so that other managers and helm 4 meet no conflict', async () => {
    await helmOk(3, ['install', 'csa', chart, '-n', ns.name, '--set', 'message=hello-csa']);
    const before = await client.get(cmRef(ns.name, 'csa-config'));
    expect(hasClientSideFields(before?.metadata.managedFields)).toBe(true);

    const targets = await targetsOf(client, await template('csa', ns.name, ['message=v2']), 'csa', ns.name);
    const newConfig = targets.find((o) => o.kind === 'ConfigMap')!;
    // Without the takeover, helm's own client-side ownership conflicts with its server-side apply.
    const control = await client.apply(newConfig, { force: false, dryRun: true }).catch((e: unknown) => e);
    expect(control).toBeInstanceOf(ApplyConflict);
    expect((control as ApplyConflict).conflicts.map((c) => c.manager)).toContain('helm');

    const result = await applyRelease(client, {
      release: 'csa',
      namespace: ns.name,
      targets,
      currentKeys: new Set(targets.map((o) => identityKey(o, ns.name))),
      force: false,
      takeOverClientSide: true,
    });
    expect(result.created).toEqual([]);
    expect(result.applied.map((r) => `${r.kind}/${r.name}`)).toEqual(['ConfigMap/csa-config', 'Deployment/csa']);
    for (const ref of result.applied) {
      const live = await client.get(ref);
      expect(hasClientSideFields(live?.metadata.managedFields)).toBe(false);
      expect(live?.metadata.managedFields?.some((e) => e.manager === 'helm' && e.operation === 'Apply')).toBe(true);
    }
    expect((await client.get(cmRef(ns.name, 'csa-config')))?.data).toEqual({ message: 'v2' });

    const otherField = join(chartRoot, 'other.yaml');
    writeFileSync(otherField, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: csa-config\n  namespace: ${ns.name}\ndata:\n  other: by-kubectl\n`);
    await kubectlOk(['apply', '--server-side', '--field-manager=other', '-f', otherField]);

    const upgrade = await helm(4, ['upgrade', 'csa', chart, '-n', ns.name, '--set', 'message=v3', '--server-side=true']);
    expect(upgrade.stderr).not.toContain('conflict');
    expect(upgrade.code).toBe(0);
    expect((await client.get(cmRef(ns.name, 'csa-config')))?.data).toEqual({ message: 'v3', other: 'by-kubectl' });
  });

  it('deletes dropped objects unless they say helm.sh/resource-policy: keep', async () => {
    await client.apply(configMap(ns.name, 'keep-me', { a: '1' }, { 'helm.sh/resource-policy': 'keep' }), { force: false });
    await client.apply(configMap(ns.name, 'drop-me', { a: '1' }), { force: false });
    const result = await deleteDropped(client, [
      configMap(ns.name, 'keep-me', { a: '1' }),
      configMap(ns.name, 'drop-me', { a: '1' }),
      configMap(ns.name, 'never-existed', {}),
    ]);
    expect(result).toEqual({ deleted: [cmRef(ns.name, 'drop-me')], kept: [cmRef(ns.name, 'keep-me')] });
    expect(await client.get(cmRef(ns.name, 'keep-me'))).toBeDefined();
    expect(await client.get(cmRef(ns.name, 'drop-me'))).toBeUndefined();
  });

  it('finds a kubectl-scaled Deployment and a kubectl-edited ConfigMap, and nothing on an untouched release', async () => {
    await helmOk(4, ['install', 'drift', chart, '-n', ns.name, '--set', 'message=hello-drift']);
    await helmOk(4, ['install', 'calm', chart, '-n', ns.name]);
    await kubectlOk(['scale', 'deployment/drift', '--replicas=3', '-n', ns.name]);
    await kubectlEdit(ns.name, 'configmap/drift-config', 'hello-drift', 'edited-drift');

    const drifted = await targetsOf(client, await helmOk(4, ['get', 'manifest', 'drift', '-n', ns.name]), 'drift', ns.name);
    expect(await detectDrift(client, drifted)).toEqual([
      { ref: cmRef(ns.name, 'drift-config'), fields: ['data.message'] },
      { ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name: 'drift' }, fields: ['spec.replicas'] },
    ]);
    // A dry run: nothing changed.
    expect((await client.get(cmRef(ns.name, 'drift-config')))?.data).toEqual({ message: 'edited-drift' });

    const calm = await targetsOf(client, await helmOk(4, ['get', 'manifest', 'calm', '-n', ns.name]), 'calm', ns.name);
    expect(await detectDrift(client, calm)).toEqual([]);
  });

  it('costs one request per object after discovery: no per-object discovery', async () => {
    const fresh = openKubeClient(kubeConfig());
    const targets = Array.from({ length: 6 }, (_, i) => configMap(ns.name, `count-${i}`, { i: String(i) }));
    const first = await applyRelease(fresh, {
      release: 'count',
      namespace: ns.name,
      targets,
      currentKeys: new Set(targets.map((o) => identityKey(o, ns.name))),
      force: false,
      takeOverClientSide: false,
    });
    expect(first.created).toHaveLength(6);
    expect(fresh.requests).toBe(1 + 6); // GET /api once, then one apply per object
    for (const t of targets) await fresh.get(cmRef(ns.name, t.metadata.name!));
    await fresh.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name: 'drift' });
    expect(fresh.requests).toBe(1 + 6 + 6 + 2); // GET /apis once for the first grouped kind
    fresh.close();
  });
});

describe('discovery of a CustomResourceDefinition whose old version is not served', () => {
  const ns = useNamespace('kube-crd');
  const group = `w${randomBytes(3).toString('hex')}.kubetest.helmstep.dev`;
  const crdRef: ObjectRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `widgets.${group}` };
  let client: HttpKubeClient;
  beforeAll(() => {
    client = openKubeClient(kubeConfig());
  });
  afterAll(async () => {
    await client.delete(crdRef);
    client.close();
  });

  it('serves v1 once the CRD exists (one refresh), and says v1alpha1 is not served', async () => {
    expect(await client.resource(`${group}/v1`, 'Widget')).toEqual({ served: false, namespaced: false });

    const schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
    await client.apply(
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            { name: 'v1alpha1', served: false, storage: false, schema },
            { name: 'v1', served: true, storage: true, schema },
          ],
        },
      },
      { force: false },
    );
    // Wait until the API server's discovery lists it (a client of its own, so ours keeps its cache).
    for (let i = 0; ; i++) {
      const probe = openKubeClient(kubeConfig());
      const { served } = await probe.resource(`${group}/v1`, 'Widget');
      probe.close();
      if (served) break;
      if (i > 100) throw new Error(`${group}/v1 Widget never became served`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const before = client.requests;
    expect(await client.resource(`${group}/v1`, 'Widget')).toEqual({ served: true, namespaced: true });
    expect(client.requests - before).toBe(1); // the apply since the miss: GET /apis once more
    expect(await client.resource(`${group}/v1alpha1`, 'Widget')).toEqual({ served: false, namespaced: false });

    const widget = (version: string): KubeObject => ({ apiVersion: `${group}/${version}`, kind: 'Widget', metadata: { name: 'w', namespace: ns.name }, spec: { size: 1 } });
    const err = await client.apply(widget('v1alpha1'), { force: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KindNotServed);
    expect((err as KindNotServed).helmText).toBe(`no matches for kind "Widget" in version "${group}/v1alpha1"`);
    expect((await client.apply(widget('v1'), { force: false })).created).toBe(true);
  });
});
