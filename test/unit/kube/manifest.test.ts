import { describe, expect, it } from 'vitest';

import {
  INSTALL_ORDER,
  InvalidManifest,
  OwnershipConflict,
  RESOURCE_POLICY_ANNOTATION,
  UNINSTALL_ORDER,
  dropped,
  groupVersion,
  identityKey,
  keepsResource,
  objectKey,
  ownershipError,
  parseManifest,
  parseSingleObject,
  sortByKind,
  withOwnership,
} from '../../../src/kube/manifest.ts';
import type { KubeObject, ManifestObject } from '../../../src/kube/types.ts';

function obj(apiVersion: string, kind: string, name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion, kind, metadata: { name, ...extra } };
}
function m(o: KubeObject, source = ''): ManifestObject {
  return { source, object: o };
}
function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('parseManifest', () => {
  const stored = [
    '---',
    '# Source: webapp/templates/configmap.yaml',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: web-config',
    'data:',
    '  message: "v2"',
    '---',
    '# Source: webapp/templates/empty.yaml',
    '# only a comment: the template rendered nothing',
    '---',
    '# Source: webapp/templates/deployment.yaml',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    '  # a comment inside the object',
    'spec:',
    '  replicas: 2',
    '  template:',
    '    metadata:',
    '    spec: {}',
    '',
  ].join('\n');

  it('keeps document order, source paths and skips empty documents', () => {
    const objs = parseManifest(stored);
    expect(objs.map((o) => [o.source, o.object.kind, o.object.metadata.name])).toEqual([
      ['webapp/templates/configmap.yaml', 'ConfigMap', 'web-config'],
      ['webapp/templates/deployment.yaml', 'Deployment', 'web'],
    ]);
    expect(objs[0]!.object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config' }, data: { message: 'v2' } });
    expect((objs[1]!.object.spec as { template: { metadata: unknown } }).template.metadata).toBeNull();
  });

  it('answers nothing for an empty or whitespace manifest', () => {
    expect(parseManifest('')).toEqual([]);
    expect(parseManifest('\n\n')).toEqual([]);
    expect(parseManifest('---\n---\n')).toEqual([]);
  });

  it('gives "" as source when a document has no # Source comment', () => {
    const objs = parseManifest('apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n');
    expect(objs).toEqual([{ source: '', object: obj('v1', 'Secret', 's') }]);
  });

  it('reads scalars as Kubernetes does (YAML 1.1 booleans and octal, timestamps and 1:20 stay strings)', () => {
    const [o] = parseManifest(
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: c',
        'x:',
        '  yes: yes',
        '  off: off',
        '  mode: 0644',
        '  date: 2001-12-14',
        '  at: 2001-12-14T21:59:43.10Z',
        '  ports: 8080:80',
        '  time: 1:20',
        '  quoted: "yes"',
        '  big: 1_000',
        '',
      ].join('\n'),
    );
    expect(o!.object.x).toEqual({
      true: true,
      false: false,
      mode: 420,
      date: '2001-12-14',
      at: '2001-12-14T21:59:43.10Z',
      ports: '8080:80',
      time: '1:20',
      quoted: 'yes',
      big: 1000,
    });
  });

  it('accepts generateName instead of name', () => {
    const [o] = parseManifest('apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n');
    expect(o!.object.metadata.generateName).toBe('migrate-');
  });

  it('flattens a List into its items, each keeping the source', () => {
    const objs = parseManifest(
      [
        '---',
        '# Source: c/templates/list.yaml',
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - apiVersion: v1',
        '    kind: ConfigMap',
        '    metadata: {name: a}',
        '  - apiVersion: v1',
        '    kind: Secret',
        '    metadata: {name: b}',
        '',
      ].join('\n'),
    );
    expect(objs.map((o) => `${o.source} ${o.object.kind}/${o.object.metadata.name}`)).toEqual([
      'c/templates/list.yaml ConfigMap/a',
      'c/templates/list.yaml Secret/b',
    ]);
  });

  it.each([
    ['a sequence', '- 1\n- 2\n', 'expected a mapping, found a sequence'],
    ['a scalar', 'just text\n', 'expected a mapping, found a string scalar'],
    ['no kind', 'apiVersion: v1\nmetadata:\n  name: x\n', 'object has no kind'],
    ['no apiVersion', 'kind: Service\nmetadata:\n  name: x\n', 'Service object has no apiVersion'],
    ['no metadata', 'apiVersion: v1\nkind: Service\n', 'Service object has no metadata'],
    ['no name', 'apiVersion: v1\nkind: Service\nmetadata:\n  labels: {a: b}\n', 'Service object has no metadata.name (or metadata.generateName)'],
    ['an empty name', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: ""\n', 'metadata.name'],
    ['a numeric kind', 'apiVersion: v1\nkind: 3\nmetadata:\n  name: x\n', 'object has no kind'],
  ])('refuses %s with InvalidManifest naming the template', (_what, body, problem) => {
    const text = `---\n# Source: app/templates/ok.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n# Source: app/templates/bad.yaml\n${body}`;
    const err = catchErr(() => parseManifest(text, { name: 'web', namespace: 'shop' }));
    expect(err).toBeInstanceOf(InvalidManifest);
    const e = err as InvalidManifest;
    expect(e.reason).toBe('InvalidManifest');
    expect(e.source).toBe('app/templates/bad.yaml');
    expect(e.document).toBe(2);
    expect(e.problem).toContain(problem);
    expect(e.message).toContain('manifest app/templates/bad.yaml (document 2) of release "web" in namespace "shop"');
    expect(e.message).toContain('fix the chart template');
  });

  it('refuses YAML that does not parse, and duplicate keys', () => {
    const bad = catchErr(() => parseManifest('# Source: x/t.yaml\napiVersion: v1\nkind: [\n')) as InvalidManifest;
    expect(bad).toBeInstanceOf(InvalidManifest);
    expect(bad.source).toBe('x/t.yaml');
    expect(bad.problem).toMatch(/^YAML error: /);
    const dup = catchErr(() => parseManifest('apiVersion: v1\nkind: A\nkind: B\nmetadata: {name: x}\n')) as InvalidManifest;
    expect(dup.problem).toMatch(/unique/);
  });

  it('numbers documents counting empty ones, and names a bad list item', () => {
    const err = catchErr(() =>
      parseManifest('---\n# Source: a.yaml\n---\n# Source: b.yaml\nkind: List\napiVersion: v1\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {}\n'),
    ) as InvalidManifest;
    expect(err.document).toBe(2);
    expect(err.problem).toBe('item 1 of the list: Pod object has no metadata.name (or metadata.generateName)');
  });
});

describe('parseSingleObject', () => {
  it('parses a hook manifest without --- or # Source', () => {
    expect(parseSingleObject('apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: backup\n', 'c/templates/hook.yaml')).toEqual(
      obj('batch/v1', 'Job', 'backup'),
    );
  });
  it('refuses empty or multi-object text, naming the fallback source', () => {
    const empty = catchErr(() => parseSingleObject('', 'c/templates/hook.yaml')) as InvalidManifest;
    expect(empty.source).toBe('c/templates/hook.yaml');
    expect(empty.problem).toBe('the manifest is empty');
    const two = catchErr(() =>
      parseSingleObject('kind: A\napiVersion: v1\nmetadata: {name: a}\n---\nkind: B\napiVersion: v1\nmetadata: {name: b}\n', 'h.yaml'),
    ) as InvalidManifest;
    expect(two.problem).toBe('expected one object, found 2');
    const bad = catchErr(() => parseSingleObject('kind: Job\n', 'c/templates/hook.yaml')) as InvalidManifest;
    expect(bad.source).toBe('c/templates/hook.yaml');
  });
});

describe('kind order', () => {
  it('holds helm 4 lists, webhook configurations included, one the mirror of the other', () => {
    expect(INSTALL_ORDER).toHaveLength(38);
    expect(INSTALL_ORDER.slice(-2)).toEqual(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    expect(UNINSTALL_ORDER.slice(0, 2)).toEqual(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
    expect(new Set(UNINSTALL_ORDER)).toEqual(new Set(INSTALL_ORDER));
    // Not an exact mirror: helm keeps Service before workloads on uninstall, etc.
    expect(INSTALL_ORDER.indexOf('Deployment')).toBeGreaterThan(INSTALL_ORDER.indexOf('Service'));
    expect(UNINSTALL_ORDER.indexOf('Service')).toBeLessThan(UNINSTALL_ORDER.indexOf('Deployment'));
    expect(UNINSTALL_ORDER.indexOf('HorizontalPodAutoscaler')).toBeLessThan(UNINSTALL_ORDER.indexOf('Deployment'));
  });

  const input = [
    m(obj('apps/v1', 'Deployment', 'web')),
    m(obj('example.com/v1', 'Widget', 'w1')),
    m(obj('v1', 'ConfigMap', 'c1')),
    m(obj('example.com/v1', 'Gadget', 'g1')),
    m(obj('v1', 'Service', 'svc')),
    m(obj('v1', 'ConfigMap', 'c2')),
    m(obj('example.com/v1', 'Widget', 'w2')),
    m(obj('v1', 'Namespace', 'ns')),
    m(obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'vw')),
    m(obj('batch/v1', 'Job', 'j')),
  ];
  const names = (xs: ManifestObject[]) => xs.map((x) => x.object.metadata.name);

  it('sorts for install: known kinds by the list, unknown after by kind name, same kind in input order', () => {
    expect(names(sortByKind(input, INSTALL_ORDER))).toEqual(['ns', 'c1', 'c2', 'svc', 'web', 'j', 'vw', 'g1', 'w1', 'w2']);
    expect(names(sortByKind(input, 'install'))).toEqual(names(sortByKind(input, INSTALL_ORDER)));
  });

  it('sorts for uninstall with the same rule for unknown kinds', () => {
    expect(names(sortByKind(input, UNINSTALL_ORDER))).toEqual(['vw', 'svc', 'j', 'web', 'c1', 'c2', 'ns', 'g1', 'w1', 'w2']);
    expect(names(sortByKind(input, 'uninstall'))).toEqual(names(sortByKind(input, UNINSTALL_ORDER)));
  });

  it('does not touch its input and compares kinds case-sensitively like Go (upper case first)', () => {
    const copy = [...input];
    sortByKind(input, INSTALL_ORDER);
    expect(input).toEqual(copy);
    const odd = [m(obj('x/v1', 'alpha', 'a')), m(obj('x/v1', 'Zeta', 'z')), m(obj('x/v1', 'Beta', 'b'))];
    expect(names(sortByKind(odd, INSTALL_ORDER))).toEqual(['b', 'z', 'a']);
  });

  it('sorts a parsed manifest with comments and empty documents', () => {
    const text = [
      '---',
      '# Source: c/templates/z-widget.yaml',
      'apiVersion: example.com/v1',
      'kind: Widget',
      'metadata: {name: w}',
      '---',
      '# Source: c/templates/empty.yaml',
      '---',
      '# Source: c/templates/sa.yaml',
      '# service account for the app',
      'apiVersion: v1',
      'kind: ServiceAccount',
      'metadata: {name: sa}',
      '---',
      '# Source: c/templates/role.yaml',
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: ClusterRole',
      'metadata: {name: r}',
      '',
    ].join('\n');
    expect(names(sortByKind(parseManifest(text), 'install'))).toEqual(['sa', 'r', 'w']);
  });
});

describe('identity', () => {
  it('splits apiVersion', () => {
    expect(groupVersion('v1')).toEqual({ group: '', version: 'v1' });
    expect(groupVersion('apps/v1')).toEqual({ group: 'apps', version: 'v1' });
    expect(groupVersion('apiextensions.k8s.io/v1beta1')).toEqual({ group: 'apiextensions.k8s.io', version: 'v1beta1' });
  });

  it('objectKey is <group/version>/<Kind>/<ns>/<name>, the object own namespace winning', () => {
    expect(objectKey(obj('apps/v1', 'Deployment', 'web'), 'shop')).toBe('apps/v1/Deployment/shop/web');
    expect(objectKey(obj('v1', 'ConfigMap', 'c'), 'shop')).toBe('v1/ConfigMap/shop/c');
    expect(objectKey(obj('v1', 'ConfigMap', 'c', { namespace: 'other' }), 'shop')).toBe('v1/ConfigMap/other/c');
    expect(objectKey(obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r'), '')).toBe('rbac.authorization.k8s.io/v1/ClusterRole//r');
  });

  it('identityKey ignores the version but not the group', () => {
    const v1 = obj('autoscaling/v1', 'HorizontalPodAutoscaler', 'h');
    const v2 = obj('autoscaling/v2', 'HorizontalPodAutoscaler', 'h');
    expect(identityKey(v1, 'ns')).toBe(identityKey(v2, 'ns'));
    expect(objectKey(v1, 'ns')).not.toBe(objectKey(v2, 'ns'));
    expect(identityKey(obj('extensions/v1beta1', 'Ingress', 'i'), 'ns')).not.toBe(identityKey(obj('networking.k8s.io/v1', 'Ingress', 'i'), 'ns'));
  });

  it('dropped keeps current order and matches on group, kind, namespace and name', () => {
    const current = [
      m(obj('v1', 'ConfigMap', 'a')),
      m(obj('autoscaling/v1', 'HorizontalPodAutoscaler', 'h')),
      m(obj('v1', 'Secret', 'gone-1')),
      m(obj('v1', 'ConfigMap', 'moved', { namespace: 'old' })),
      m(obj('v1', 'Service', 'web')),
      m(obj('example.com/v1', 'Widget', 'gone-2')),
    ];
    const target = [
      m(obj('v1', 'Service', 'web')),
      m(obj('autoscaling/v2', 'HorizontalPodAutoscaler', 'h')),
      m(obj('v1', 'ConfigMap', 'a', { namespace: 'shop' })),
      m(obj('v1', 'ConfigMap', 'moved')),
      m(obj('other.example.com/v1', 'Widget', 'gone-2')),
    ];
    expect(names(dropped(current, target, 'shop'))).toEqual(['gone-1', 'moved', 'gone-2']);
    expect(dropped(current, current, 'shop')).toEqual([]);
    expect(names(dropped(current, [], 'shop'))).toHaveLength(current.length);
  });
  const names = (xs: ManifestObject[]) => xs.map((x) => x.object.metadata.name);
});

describe('ownership', () => {
  it('withOwnership merges helm metadata over the object own, on a copy', () => {
    const original = obj('v1', 'ConfigMap', 'c', {
      labels: { app: 'web', 'app.kubernetes.io/managed-by': 'kustomize' },
      annotations: { note: 'x', 'meta.helm.sh/release-name': 'someone-else' },
    });
    const owned = withOwnership(original, 'web', 'shop');
    expect(owned.metadata.labels).toEqual({ app: 'web', 'app.kubernetes.io/managed-by': 'Helm' });
    expect(owned.metadata.annotations).toEqual({
      note: 'x',
      'meta.helm.sh/release-name': 'web',
      'meta.helm.sh/release-namespace': 'shop',
    });
    expect(original.metadata.labels!['app.kubernetes.io/managed-by']).toBe('kustomize');
    expect(original.metadata.annotations!['meta.helm.sh/release-name']).toBe('someone-else');
    const bare = withOwnership({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==' } }, 'r', 'n');
    expect(bare).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        labels: { 'app.kubernetes.io/managed-by': 'Helm' },
        annotations: { 'meta.helm.sh/release-name': 'r', 'meta.helm.sh/release-namespace': 'n' },
      },
      data: { k: 'dg==' },
    });
  });

  const owned = (labels?: Record<string, string>, annotations?: Record<string, string>) =>
    obj('v1', 'ConfigMap', 'web-config', { namespace: 'shop', ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) });
  const prefix = 'ConfigMap "web-config" in namespace "shop" exists and cannot be imported into the current release: invalid ownership metadata; ';

  it('is undefined when the live object already belongs to the release', () => {
    expect(
      ownershipError(
        owned({ 'app.kubernetes.io/managed-by': 'Helm', x: 'y' }, { 'meta.helm.sh/release-name': 'web', 'meta.helm.sh/release-namespace': 'shop' }),
        'web',
        'shop',
      ),
    ).toBeUndefined();
    expect(ownershipError(withOwnership(owned(), 'web', 'shop'), 'web', 'shop')).toBeUndefined();
  });

  it('names every missing key, label first, joined by "; "', () => {
    expect(ownershipError(owned(), 'web', 'shop')).toBe(
      prefix +
        'label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; ' +
        'annotation validation error: missing key "meta.helm.sh/release-name": must be set to "web"; ' +
        'annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "shop"',
    );
  });

  it('reports wrong values with the current one', () => {
    expect(
      ownershipError(
        owned({ 'app.kubernetes.io/managed-by': 'Helm' }, { 'meta.helm.sh/release-name': 'other', 'meta.helm.sh/release-namespace': 'shop' }),
        'web',
        'shop',
      ),
    ).toBe(prefix + 'annotation validation error: key "meta.helm.sh/release-name" must equal "web": current value is "other"');
    expect(
      ownershipError(
        owned({ 'app.kubernetes.io/managed-by': 'helm' }, { 'meta.helm.sh/release-name': 'web', 'meta.helm.sh/release-namespace': '' }),
        'web',
        'shop',
      ),
    ).toBe(
      prefix +
        'label validation error: key "app.kubernetes.io/managed-by" must equal "Helm": current value is "helm"; ' +
        'annotation validation error: key "meta.helm.sh/release-namespace" must equal "shop": current value is ""',
    );
  });

  it('mixes missing and wrong, and quotes like Go', () => {
    expect(ownershipError(owned({}, { 'meta.helm.sh/release-namespace': 'a"b' }), 'web', 'shop')).toBe(
      prefix +
        'label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; ' +
        'annotation validation error: missing key "meta.helm.sh/release-name": must be set to "web"; ' +
        'annotation validation error: key "meta.helm.sh/release-namespace" must equal "shop": current value is "a\\"b"',
    );
  });

  it('matches the text helm 4.1.4 printed for a wrong label, a missing and a wrong annotation', () => {
    const live = obj('v1', 'ConfigMap', 'taken', {
      namespace: 'kube-b-verify',
      labels: { 'app.kubernetes.io/managed-by': 'helm' },
      annotations: { 'meta.helm.sh/release-namespace': 'a"b' },
    });
    expect(ownershipError(live, 'rel', 'kube-b-verify')).toBe(
      'ConfigMap "taken" in namespace "kube-b-verify" exists and cannot be imported into the current release: invalid ownership metadata; ' +
        'label validation error: key "app.kubernetes.io/managed-by" must equal "Helm": current value is "helm"; ' +
        'annotation validation error: missing key "meta.helm.sh/release-name": must be set to "rel"; ' +
        'annotation validation error: key "meta.helm.sh/release-namespace" must equal "kube-b-verify": current value is "a\\"b"',
    );
  });

  it('shows an empty namespace for cluster-scoped objects', () => {
    const text = ownershipError(obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'), 'web', 'shop');
    expect(text).toMatch(/^ClusterRole "reader" in namespace "" exists and cannot be imported/);
  });

  it('OwnershipConflict carries helm text and a next step', () => {
    const text = ownershipError(owned(), 'web', 'shop')!;
    const e = new OwnershipConflict({ name: 'web', namespace: 'shop' }, { kind: 'ConfigMap', name: 'web-config', namespace: 'shop' }, text);
    expect(e.helmText).toBe(text);
    expect(e.reason).toBe('OwnershipConflict');
    expect(e.message.startsWith(text)).toBe(true);
    expect(e.message).toContain('meta.helm.sh/release-name=web');
  });
});

describe('resource policy', () => {
  it.each([
    [{ [RESOURCE_POLICY_ANNOTATION]: 'keep' }, true],
    [{ [RESOURCE_POLICY_ANNOTATION]: 'Keep' }, false],
    [{ [RESOURCE_POLICY_ANNOTATION]: ' keep ' }, false],
    [{ [RESOURCE_POLICY_ANNOTATION]: 'delete' }, false],
    [{ other: 'keep' }, false],
    [undefined, false],
  ])('%j keeps: %s', (annotations, keeps) => {
    expect(keepsResource(obj('v1', 'PersistentVolumeClaim', 'data', annotations ? { annotations } : {}))).toBe(keeps);
  });
});
