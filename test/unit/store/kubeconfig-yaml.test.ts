import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { parseKubeconfigYaml } from '../../../src/store/kubeconfig-yaml.ts';

const KUBECTL = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJa
    server: https://127.0.0.1:6443
  name: kind-kind
- cluster:
    insecure-skip-tls-verify: true
    server: https://example.com:443/k8s/  # a comment
    tls-server-name: "kubernetes.default"
  name: 'other # not a comment'
contexts:
- context:
    cluster: kind-kind
    namespace: shop
    user: kind-kind
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      command: aws
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
`;

describe('parseKubeconfigYaml', () => {
  it("reads kubectl's layout exactly as yaml does", () => {
    const ours = parseKubeconfigYaml(KUBECTL);
    expect(ours).toBeDefined();
    expect(ours).toEqual(parse(KUBECTL));
  });

  it('reads an indented sequence and nested compact mappings as yaml does', () => {
    const text = 'clusters:\n  - name: a\n    cluster:\n      server: https://a\n  -   name: b\n      cluster: {}\nusers: []\nempty:\nquoted: "a \\"b\\" \\\\ c"\nsingle: \'it\'\'s\'\n';
    expect(parseKubeconfigYaml(text)).toEqual(parse(text));
  });

  it.each([
    ['a flow mapping', 'clusters: [{name: a, cluster: {server: "https://a"}}]\n'],
    ['an anchor and a merge key', 'base: &b {server: x}\nother:\n  <<: *b\n'],
    ['a number', 'port: 6443\n'],
    ['a YAML 1.1 boolean', 'insecure-skip-tls-verify: yes\n'],
    ['a block scalar', 'token: |\n  abc\n'],
    ['a multi-line plain scalar', 'token: abc\n  def\n'],
    ['a tag', 'token: !!str 123\n'],
    ['a quoted key', '"current-context": a\n'],
    ['JSON', '{"apiVersion": "v1", "clusters": []}\n'],
    ['a duplicate key', 'a: 1x\na: 2x\n'],
    ['a second document', 'a: b\n---\nc: d\n'],
    ['a tab', 'a:\n\tb: c\n'],
    ['a unicode escape', 'a: "\\u00e9"\n'],
    ['a value with a colon and space', 'a: b: c\n'],
  ])('leaves %s to yaml (undefined)', (_what, text) => {
    expect(parseKubeconfigYaml(text)).toBeUndefined();
  });

  it('whatever it reads, it reads as yaml does (kubeconfig-shaped documents in several layouts)', () => {
    const word = fc.oneof(fc.stringMatching(/^[A-Za-z_/][A-Za-z0-9_./@-]{0,12}$/), fc.stringMatching(/^[A-Za-z0-9_./:@#'" -]{0,12}$/));
    const key = fc.stringMatching(/^[a-z][a-z-]{0,10}$/);
    const leaf = fc.oneof(word, fc.constantFrom(true, false, null), fc.constant([]), fc.constant({}));
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(key, tie('v'), { maxKeys: 4 })),
    })).v;
    const layout = fc.record({ indentSeq: fc.boolean(), indent: fc.constantFrom(2, 4) });
    let read = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), layout, (doc, l) => {
        const text = stringify(doc, { indentSeq: l.indentSeq, indent: l.indent, lineWidth: 0 });
        const ours = parseKubeconfigYaml(text);
        if (ours === undefined) return;
        read++;
        expect(ours).toEqual(parse(text));
      }),
      { numRuns: 400 },
    );
    // The property says something only if many documents are in the subset.
    expect(read).toBeGreaterThan(100);
  });
});
