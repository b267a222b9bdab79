/**
 * Where a chart comes from, as helm's install/upgrade flags say it: a local chart folder or
 * `.tgz`, a chart name in an HTTPS chart repository (`--repo URL NAME --version X`), or an
 * `oci://host/path/chart` reference in an OCI registry. Pure: the helm flags for a source, the
 * checks made before helm runs, and what helm's error texts mean for the person who gave it.
 *
 * Rendering is hermetic: only what the source says is used, never repositories someone added
 * with `helm repo add` on the machine that renders (in Lambda there are none), so the same
 * request renders the same chart from a laptop and from the Render function.
 */

export interface ChartSourceOptions {
  /** HTTPS (or HTTP) chart repository URL: `chart` is then a chart name in its index.yaml (helm's --repo). */
  readonly repo?: string;
  /** PEM CA bundle that verifies the repository's or registry's certificate (helm's --ca-file). */
  readonly caFile?: string;
  /** Skip certificate checks of the chart download (helm's --insecure-skip-tls-verify); for test servers. */
  readonly insecureSkipTlsVerify?: boolean;
  /** Talk plain HTTP to an `oci://` registry (helm's --plain-http); for local registries. */
  readonly plainHttp?: boolean;
  /**
   * Basic-auth credentials of the repository or registry (helm's --username/--password). In AWS
   * they should not travel in the execution input (Step Functions keeps it in the execution
   * history): the Render function is meant to read them from a Secrets Manager secret named in
   * its configuration and fill them in; these fields are for local runs.
   */
  readonly username?: string;
  readonly password?: string;
}

export interface ChartSource extends ChartSourceOptions {
  /** Chart folder, `.tgz`, `oci://host/path/chart`, or a chart name with `repo`. */
  readonly chart: string;
  /** Chart version or semver range (helm's --version); the newest when absent. */
  readonly chartVersion?: string;
}

export type SourceKind = 'oci' | 'repo' | 'local';

export function sourceKind(s: Pick<ChartSource, 'chart' | 'repo'>): SourceKind {
  if (s.chart.startsWith('oci://')) return 'oci';
  return s.repo !== undefined ? 'repo' : 'local';
}

/** The source's own fields of a larger object (a request), the unset ones left out. */
export function sourceOptionsOf(o: ChartSourceOptions): ChartSourceOptions {
  return {
    ...(o.repo !== undefined ? { repo: o.repo } : {}),
    ...(o.caFile !== undefined ? { caFile: o.caFile } : {}),
    ...(o.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    ...(o.plainHttp ? { plainHttp: true } : {}),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
  };
}

/** How messages name the chart: `"web" 1.2.0 from https://charts.example.com`, `oci://…/web 1.2.0`, `./web`. */
export function describeSource(s: ChartSource): string {
  const version = s.chartVersion ? ` ${s.chartVersion}` : '';
  return sourceKind(s) === 'repo' ? `"${s.chart}"${version} from ${redactUrl(s.repo ?? '')}` : `${s.chart}${version}`;
}

/**
 * What is wrong with a source before helm is asked, or undefined. Each answer says what to
 * change: options that only make sense for a download are refused on a local chart, since
 * they mean the person expected a repository.
 */
export function sourceProblem(s: ChartSource): string | undefined {
  const kind = sourceKind(s);
  if (kind === 'oci' && s.repo !== undefined) {
    return `an oci:// chart is a full reference: drop repo (${redactUrl(s.repo)}), or give the chart's name alone with repo`;
  }
  if (s.repo !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(s.repo);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      return `repo must be the http(s):// URL of a chart repository (the folder that serves index.yaml), not ${JSON.stringify(redactUrl(s.repo))}; for a registry give the chart as oci://host/path/chart`;
    }
    if (s.chart.includes('/') || s.chart.endsWith('.tgz')) {
      return `with repo, chart is the chart's name in the repository's index.yaml (like "nginx"), not ${JSON.stringify(s.chart)}`;
    }
  }
  if (s.plainHttp && kind !== 'oci') {
    return kind === 'repo'
      ? 'plainHttp is for oci:// registries; a chart repository served over HTTP is given by its http:// URL'
      : 'plainHttp is for oci:// registries; it does not apply to a local chart';
  }
  if (kind === 'local') {
    const given = (['caFile', 'insecureSkipTlsVerify', 'username', 'password'] as const).filter((k) => s[k] !== undefined && s[k] !== false);
    if (given.length > 0) {
      return `${given.join(', ')} apply to a chart downloaded from a repository or registry; ${JSON.stringify(s.chart)} is read as a local chart path: give repo (or an oci:// chart), or drop ${given.length > 1 ? 'them' : 'it'}`;
    }
  }
  if (s.password !== undefined && s.username === undefined) return 'a password needs its username';
  return undefined;
}

/** helm install/upgrade flags for the source (the chart argument itself is separate). */
export function sourceArgs(s: ChartSource): string[] {
  const args: string[] = [];
  if (s.repo !== undefined) args.push('--repo', s.repo);
  if (s.chartVersion) args.push('--version', s.chartVersion);
  if (s.caFile !== undefined) args.push('--ca-file', s.caFile);
  if (s.insecureSkipTlsVerify) args.push('--insecure-skip-tls-verify');
  if (s.plainHttp) args.push('--plain-http');
  if (s.username !== undefined) args.push('--username', s.username);
  if (s.password !== undefined) args.push('--password', s.password);
  return args;
}

export type RenderFailureKind =
  /** The chart (or, in a registry, that chart at that version) is not there. */
  | 'chart-not-found'
  /** The repository has the chart but no version matching chartVersion. */
  | 'version-not-found'
  /** The URL answers but is not a chart repository (no index.yaml). */
  | 'not-a-repository'
  /** Certificate verification failed, or TLS/plain HTTP mismatch. */
  | 'tls'
  /** 401/403: credentials missing or refused. */
  | 'unauthorized'
  /** The repository or registry did not answer (refused, DNS, timeout, 5xx): may pass on a retry. */
  | 'unreachable'
  /** The request's source is inconsistent (found before helm ran, or a CA file helm cannot read). */
  | 'invalid-source'
  /** Anything else: the chart or values do not render. */
  | 'chart-error';

export interface Diagnosis {
  readonly kind: RenderFailureKind;
  /** What to do next, for people. */
  readonly hint: string;
  /** Running the same render again may pass (a transient network failure). */
  readonly retryable: boolean;
}

const TLS = /x509: |tls: |certificate (is not valid|signed by unknown authority|has expired)|server gave HTTP response to HTTPS client|first record does not look like a TLS handshake/;
const UNREACHABLE = /dial tcp|connection refused|no such host|i\/o timeout|context deadline exceeded|Client\.Timeout|connection reset by peer|EOF$|: 5\d\d [A-Z]|status code 5\d\d|timed out/m;
const UNAUTHORIZED = /\b40[13] (Unauthorized|Forbidden)|unauthorized|authentication required|requested access to the resource is denied/i;

/** Reads helm's error text (as helm 4 and 3 print it) for the source it was given. */
export function diagnose(text: string, s: ChartSource): Diagnosis {
  const where = sourceKind(s) === 'oci' ? `the registry ${ociHost(s.chart)}` : s.repo ? `the repository ${redactUrl(s.repo)}` : 'the chart path';
  if (/can't read CA file|can't create TLS config/.test(text)) {
    return stop('invalid-source', `caFile must be a readable PEM CA bundle on the machine that renders (in Lambda: a file in the function's bundle or under /tmp)`);
  }
  if (/^Error: repo (\S+) not found/m.test(text)) {
    return stop(
      'chart-not-found',
      `helmstep does not read repositories added with \`helm repo add\`: give the repository URL as repo and the chart's name alone (chart: "${s.chart.split('/').pop() ?? s.chart}", repo: "https://…"), or an oci:// chart`,
    );
  }
  if (/^Error: path "[^"]*" not found/m.test(text)) {
    // The CLI's long-standing wording for a local chart (its tests pin it).
    return stop('chart-not-found', 'fix the chart or values and retry');
  }
  const missingVersion = /chart "[^"]*" version "[^"]*" not found in .* repository/.exec(text);
  if (missingVersion) {
    return stop('version-not-found', `list the versions ${where} has (helm search repo, or its index.yaml) and give one of them as chartVersion`);
  }
  if (/chart "[^"]*" not found in .* repository/.test(text) || /no chart (name|version) found/.test(text)) {
    return stop('chart-not-found', `check the chart's name against ${where}'s index.yaml`);
  }
  if (TLS.test(text)) {
    if (/server gave HTTP response to HTTPS client|first record does not look like a TLS handshake/.test(text)) {
      return stop('tls', `${where} speaks plain HTTP: set plainHttp for an oci:// registry, or use an http:// repo URL`);
    }
    return stop('tls', `${where}'s certificate is not trusted: give caFile with the CA that signed it (insecureSkipTlsVerify only for a test server)`);
  }
  if (/failed to fetch \S+index\.yaml : 404/.test(text)) {
    return stop('not-a-repository', `${where} has no index.yaml: repo must be the URL of the folder that serves it`);
  }
  if (UNAUTHORIZED.test(text) && !/: not found/.test(text)) {
    return stop('unauthorized', `${where} refused the request: give username and password (in AWS, from the Secrets Manager secret the Render function reads), or check them`);
  }
  if (sourceKind(s) === 'oci' && /: not found\s*$/m.test(text)) {
    const version = s.chartVersion ? ` version ${s.chartVersion}` : '';
    return stop('chart-not-found', `${where} has no ${s.chart}${version}: check the reference (oci://host/path/chart, without a tag) and which versions were pushed`);
  }
  if (UNREACHABLE.test(text)) {
    return { kind: 'unreachable', retryable: true, hint: `${where} did not answer: check its URL and that it is reachable from where helmstep runs (in AWS: the function's VPC, DNS and egress); retrying may pass` };
  }
  return stop('chart-error', 'fix the chart or values and retry');
}

function stop(kind: RenderFailureKind, hint: string): Diagnosis {
  return { kind, hint, retryable: false };
}

function ociHost(chart: string): string {
  return chart.slice('oci://'.length).split('/')[0] ?? chart;
}

/** A URL with any `user:password@` taken out, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}

/** helm's text with the password and any URL credentials taken out, for messages and logs. */
export function redactText(text: string, s: ChartSourceOptions): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s"]*@/gi, '$1***@');
  if (s.password) out = out.split(s.password).join('***');
  return out;
}
