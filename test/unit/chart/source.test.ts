import { describe, expect, it } from 'vitest';
import { RenderFailed } from '../../../src/chart/render.ts';
import { describeSource, diagnose, redactText, sourceArgs, sourceKind, sourceProblem, type ChartSource } from '../../../src/chart/source.ts';
import { DeployRequestSchema } from '../../../src/orchestration/request.ts';

const repo: ChartSource = { chart: 'greeter', chartVersion: '0.1.0', repo: 'https://127.0.0.1:33229' };
const oci: ChartSource = { chart: 'oci://127.0.0.1:39935/charts/greeter', chartVersion: '0.1.0', plainHttp: true };

describe('chart sources: helm flags', () => {
  it('maps every field to its helm flag, in a stable order', () => {
    expect(
      sourceArgs({ ...repo, caFile: '/ca.crt', insecureSkipTlsVerify: true, username: 'u', password: 'p' }),
    ).toEqual(['--repo', 'https://127.0.0.1:33229', '--version', '0.1.0', '--ca-file', '/ca.crt', '--insecure-skip-tls-verify', '--username', 'u', '--password', 'p']);
    expect(sourceArgs(oci)).toEqual(['--version', '0.1.0', '--plain-http']);
    expect(sourceArgs({ chart: './web' })).toEqual([]);
    expect(sourceArgs({ chart: './web', insecureSkipTlsVerify: false, plainHttp: false })).toEqual([]);
  });

  it('tells the kinds apart and names them for messages', () => {
    expect([sourceKind(repo), sourceKind(oci), sourceKind({ chart: './web.tgz' })]).toEqual(['repo', 'oci', 'local']);
    expect(describeSource(repo)).toBe('"greeter" 0.1.0 from https://127.0.0.1:33229');
    expect(describeSource({ chart: 'web', repo: 'https://u:secret@charts.example.com/x' })).toBe('"web" from https://***@charts.example.com/x');
    expect(describeSource(oci)).toBe('oci://127.0.0.1:39935/charts/greeter 0.1.0');
    expect(describeSource({ chart: './web' })).toBe('./web');
  });
});

describe('chart sources: refused before helm runs', () => {
  it.each<[string, ChartSource, RegExp]>([
    ['repo with an oci chart', { ...oci, plainHttp: false, repo: 'https://x' }, /an oci:\/\/ chart is a full reference: drop repo/],
    ['repo that is no URL', { chart: 'web', repo: 'charts.example.com' }, /repo must be the http\(s\):\/\/ URL of a chart repository/],
    ['repo with an oci URL', { chart: 'web', repo: 'oci://r/x' }, /repo must be the http\(s\):\/\/ URL/],
    ['repo with a path as chart', { chart: 'stable/web', repo: 'https://x' }, /chart is the chart's name in the repository's index\.yaml \(like "nginx"\), not "stable\/web"/],
    ['plainHttp with a repo', { ...repo, plainHttp: true }, /plainHttp is for oci:\/\/ registries; a chart repository served over HTTP is given by its http:\/\/ URL/],
    ['plainHttp with a local chart', { chart: './web', plainHttp: true }, /does not apply to a local chart/],
    ['TLS and credentials with a local chart', { chart: './web', caFile: '/ca', username: 'u' }, /caFile, username apply to a chart downloaded from a repository or registry; "\.\/web" is read as a local chart path/],
    ['a password alone', { ...repo, password: 'p' }, /a password needs its username/],
  ])('%s', (_, s, message) => {
    expect(sourceProblem(s)).toMatch(message);
  });

  it('accepts the sources helm takes', () => {
    for (const s of [repo, oci, { chart: './web' }, { chart: 'web', repo: 'http://127.0.0.1:8080/charts', username: 'u', password: '' }, { ...repo, caFile: '/ca', insecureSkipTlsVerify: true }]) {
      expect(sourceProblem(s)).toBeUndefined();
    }
  });
});

describe("chart sources: helm's error texts", () => {
  // Captured from helm 4.1.4 against the test repository and registry (test/integration/chart).
  it.each<[string, string, ChartSource, string, RegExp, boolean]>([
    ['unknown version', 'Error: chart "greeter" version "9.9.9" not found in https://127.0.0.1:33229 repository', repo, 'version-not-found', /give one of them as chartVersion/, false],
    ['unknown chart', 'Error: chart "nope" not found in https://127.0.0.1:33229 repository', { ...repo, chart: 'nope' }, 'chart-not-found', /check the chart's name against the repository https:\/\/127\.0\.0\.1:33229's index\.yaml/, false],
    [
      'TLS without a CA',
      'Error: looks like "https://127.0.0.1:33229" is not a valid chart repository or cannot be reached: Get "https://127.0.0.1:33229/index.yaml": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      repo,
      'tls',
      /certificate is not trusted: give caFile with the CA that signed it/,
      false,
    ],
    [
      'unreachable repository',
      'Error: looks like "https://127.0.0.1:1" is not a valid chart repository or cannot be reached: Get "https://127.0.0.1:1/index.yaml": dial tcp 127.0.0.1:1: connect: connection refused',
      { ...repo, repo: 'https://127.0.0.1:1' },
      'unreachable',
      /did not answer: check its URL and that it is reachable/,
      true,
    ],
    [
      'no index.yaml',
      'Error: looks like "https://127.0.0.1:33229/sub" is not a valid chart repository or cannot be reached: failed to fetch https://127.0.0.1:33229/sub/index.yaml : 404 Not Found',
      repo,
      'not-a-repository',
      /has no index\.yaml/,
      false,
    ],
    [
      'credentials refused',
      'Error: looks like "https://127.0.0.1:35565" is not a valid chart repository or cannot be reached: failed to fetch https://127.0.0.1:35565/index.yaml : 401 Unauthorized',
      repo,
      'unauthorized',
      /give username and password/,
      false,
    ],
    ['CA file unreadable', 'Error: missing registry client: can\'t create TLS config for client: can\'t read CA file: "/x": open /x: no such file or directory', repo, 'invalid-source', /caFile must be a readable PEM CA bundle/, false],
    ['a helm repo add name', 'Error: repo myrepo not found', { chart: 'myrepo/greeter' }, 'chart-not-found', /does not read repositories added with `helm repo add`: .*chart: "greeter"/, false],
    ['local path', 'Error: path "./nope" not found', { chart: './nope' }, 'chart-not-found', /^fix the chart or values and retry$/, false],
    ['oci unknown tag', 'Error: failed to perform "FetchReference" on source: 127.0.0.1:39935/charts/greeter:9.9.9: not found', { ...oci, chartVersion: '9.9.9' }, 'chart-not-found', /the registry 127\.0\.0\.1:39935 has no oci:\/\/127\.0\.0\.1:39935\/charts\/greeter version 9\.9\.9/, false],
    [
      'oci over HTTPS to a plain HTTP registry',
      'Error: failed to perform "FetchReference" on source: Get "https://127.0.0.1:39935/v2/charts/greeter/manifests/0.1.0": http: server gave HTTP response to HTTPS client',
      { ...oci, plainHttp: false },
      'tls',
      /speaks plain HTTP: set plainHttp/,
      false,
    ],
    [
      'oci unreachable',
      'Error: failed to perform "FetchReference" on source: Get "http://127.0.0.1:1/v2/charts/greeter/manifests/0.1.0": dial tcp 127.0.0.1:1: connect: connection refused',
      oci,
      'unreachable',
      /the registry 127\.0\.0\.1:39935 did not answer/,
      true,
    ],
    ['oci credentials', 'Error: failed to perform "FetchReference" on source: GET "http://r/v2/c/manifests/1": response status code 401: unauthorized: authentication required', oci, 'unauthorized', /refused the request/, false],
    ['template error', 'Error: template: web/templates/cm.yaml:4:3: executing "web/templates/cm.yaml" at <.Values.x.y>: nil pointer evaluating interface {}.y', { chart: './web' }, 'chart-error', /^fix the chart or values and retry$/, false],
  ])('%s', (_, stderr, s, kind, hint, retryable) => {
    const d = diagnose(stderr, s);
    expect(d.kind).toBe(kind);
    expect(d.hint).toMatch(hint);
    expect(d.retryable).toBe(retryable);
  });

  it('RenderFailed carries the diagnosis: kind, retryable, and the hint in its message', () => {
    const text = 'Error: chart "greeter" version "9.9.9" not found in https://127.0.0.1:33229 repository';
    const e = new RenderFailed({ namespace: 'ns', name: 'web' }, describeSource({ ...repo, chartVersion: '9.9.9' }), text, diagnose(text, repo));
    expect(e.reason).toBe('RenderFailed');
    expect(e.kind).toBe('version-not-found');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe(
      'helm could not render chart "greeter" 9.9.9 from https://127.0.0.1:33229 for release "web" in namespace "ns": chart "greeter" version "9.9.9" not found in https://127.0.0.1:33229 repository; list the versions the repository https://127.0.0.1:33229 has (helm search repo, or its index.yaml) and give one of them as chartVersion',
    );
    // The old three-argument form keeps its meaning: a chart error, not retryable.
    const old = new RenderFailed({ namespace: 'ns', name: 'web' }, './c', 'Error: parse error');
    expect([old.kind, old.retryable, old.message]).toEqual(['chart-error', false, 'helm could not render chart ./c for release "web" in namespace "ns": parse error; fix the chart or values and retry']);
  });

  it('takes passwords and URL credentials out of helm texts', () => {
    expect(redactText('Command failed: helm upgrade --password s3cret x\nGet "https://bob:pw@h/index.yaml": EOF', { password: 's3cret' })).toBe(
      'Command failed: helm upgrade --password *** x\nGet "https://***@h/index.yaml": EOF',
    );
  });
});

describe('the deploy request takes the source fields', () => {
  it('parses them, and refuses unknown or mistyped ones', () => {
    const base = { namespace: 'ns', name: 'web', chart: 'greeter' };
    const ok = DeployRequestSchema.parse({ ...base, chartVersion: '0.2.0', repo: 'https://c', caFile: '/ca', insecureSkipTlsVerify: true, plainHttp: false, username: 'u', password: 'p' });
    expect(ok).toMatchObject({ repo: 'https://c', caFile: '/ca', insecureSkipTlsVerify: true, plainHttp: false, username: 'u', password: 'p' });
    expect(DeployRequestSchema.safeParse({ ...base, insecureSkipTLSVerify: true }).success).toBe(false);
    expect(DeployRequestSchema.safeParse({ ...base, plainHttp: 'yes' }).success).toBe(false);
  });
});
