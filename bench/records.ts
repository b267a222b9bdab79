/**
 * Realistic release records for the benchmarks.
 *
 * The source is what the real helm 4 writes: the fixture chart (test/fixtures/charts/webapp) is
 * copied, given four more templates (a large settings ConfigMap, an Ingress, a migration hook Job
 * and a test hook Pod: 8 YAML templates plus NOTES.txt and _helpers.tpl), and rendered ONCE with
 * `helm upgrade --install --dry-run=client -o json`. Every record is that record varied in JS:
 * a different settings map (sized so the manifest is 20–60 KB), image tag, chart version, replica
 * count, times, hook runs and status. The settings ConfigMap is re-rendered the way the template
 * does (`range` over sorted keys, `quote`), and the re-rendering is checked against helm's own
 * output for the base record, so varied manifests stay byte-for-byte what helm would produce.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

import type { Release, Status } from '../src/release/record.ts';
import { rng } from './stats.ts';

export const FIXTURE_CHART = fileURLToPath(new URL('../test/fixtures/charts/webapp', import.meta.url));

const EXTRA_TEMPLATES: Record<string, string> = {
  'settings.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "webapp.fullname" . }}-settings
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
data:
  {{- range $key, $value := .Values.settings }}
  {{ $key }}: {{ $value | quote }}
  {{- end }}
`,
  'ingress.yaml': `{{- if .Values.ingress.enabled }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "webapp.fullname" . }}
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
  annotations:
    {{- toYaml .Values.ingress.annotations | nindent 4 }}
spec:
  ingressClassName: {{ .Values.ingress.className }}
  tls:
    - hosts:
        - {{ .Values.ingress.host | quote }}
      secretName: {{ include "webapp.fullname" . }}-tls
  rules:
    - host: {{ .Values.ingress.host | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ include "webapp.fullname" . }}
                port:
                  number: {{ .Values.service.port }}
{{- end }}
`,
  'migrate-hook.yaml': `{{- if .Values.migrations.enabled }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "webapp.fullname" . }}-migrate
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-1"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: 1
  activeDeadlineSeconds: {{ .Values.migrations.timeoutSeconds }}
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          command: ["/app/bin/migrate", "--to", "latest", "--lock-timeout", "60s"]
          envFrom:
            - configMapRef:
                name: {{ include "webapp.fullname" . }}-settings
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
{{- end }}
`,
  'test-connection.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: {{ include "webapp.fullname" . }}-test-connection
  labels:
    {{- include "webapp.labels" . | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  restartPolicy: Never
  containers:
    - name: wget
      image: busybox:1.36
      command: ['wget']
      args: ['-qO-', '{{ include "webapp.fullname" . }}:{{ .Values.service.port }}/healthz']
`,
};

const EXTRA_VALUES = `
settings: {}
ingress:
  enabled: true
  className: nginx
  host: webapp.example.com
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
    nginx.ingress.kubernetes.io/proxy-body-size: 16m
    nginx.ingress.kubernetes.io/proxy-read-timeout: "120"
migrations:
  enabled: true
  timeoutSeconds: 600
`;

const WORDS = (
  'api auth billing cache catalog checkout cluster config database delivery email events export feature gateway ' +
  'health identity import index inventory invoice jobs kafka ledger limits locale logging mail metrics notify ' +
  'oauth orders partner payments pricing profile queue ratelimit redis reports retry search session shipping ' +
  'storage stream sync tenant tax telemetry timeout tokens tracing upload users vault webhook worker'
).split(' ');
const SECTIONS = ['app', 'db', 'cache', 'feature', 'service', 'limits', 'security', 'observability', 'queue', 'i18n'];

/** Builds a settings map of roughly `bytes` rendered bytes: config keys with realistic values. */
export function settingsMap(rand: () => number, bytes: number): Record<string, string> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  const out: Record<string, string> = {};
  let size = 0;
  while (size < bytes) {
    const section = pick(SECTIONS);
    const key = `${section}.${pick(WORDS)}.${pick(WORDS)}${rand() < 0.3 ? `.${pick(WORDS)}` : ''}`;
    if (key in out) continue;
    const r = rand();
    const value =
      r < 0.2
        ? String(rand() < 0.5)
        : r < 0.4
          ? String(Math.floor(rand() * 10 ** Math.floor(1 + rand() * 5)))
          : r < 0.55
            ? `${Math.floor(1 + rand() * 120)}${pick(['s', 'm', 'ms', 'h'])}`
            : r < 0.75
              ? `https://${pick(WORDS)}.${pick(['internal', 'svc.cluster.local', 'example.com'])}:${pick([443, 8080, 9000])}/${pick(WORDS)}/v${Math.floor(1 + rand() * 3)}`
              : r < 0.88
                ? `${pick(WORDS)}-${pick(WORDS)}-${pick(WORDS)}`
                : hex(pick([16, 32, 40, 64])); // opaque ids and digests compress poorly, as in real configs
    out[key] = value;
    size += key.length + value.length + 7; // `\n  k: "v"`
  }
  return out;
}

/** What `{{- range $key, $value := .Values.settings }}\n  {{ $key }}: {{ $value | quote }}` renders. */
function renderSettingsData(settings: Record<string, string>): string {
  return Object.keys(settings)
    .sort()
    .map((k) => `\n  ${k}: ${JSON.stringify(settings[k])}`)
    .join('');
}

/** Go RFC3339Nano for an instant with nanoseconds (trailing fraction zeros trimmed). */
function goTime(ms: number, nanos: number): string {
  const iso = new Date(ms).toISOString().slice(0, 19);
  const frac = String(nanos).padStart(9, '0').replace(/0+$/, '');
  return `${iso}${frac ? '.' + frac : ''}Z`;
}

export interface Base {
  readonly release: Release;
  readonly helmVersion: string;
  /** Byte sizes of the base record as helm wrote it. */
  readonly jsonBytes: number;
  readonly manifestBytes: number;
  readonly templates: number;
}

const BASE_MESSAGE = 'hello from the bench';
const SETTINGS_SOURCE = '# Source: webapp/templates/settings.yaml\n';

/** Copies the fixture chart, adds the extra templates and renders a base record with helm 4. */
export function renderBase(opts: { helm: string; kubeconfig: string; namespace: string; workdir: string }): Base {
  const chart = join(opts.workdir, 'webapp');
  cpSync(FIXTURE_CHART, chart, { recursive: true });
  for (const [name, text] of Object.entries(EXTRA_TEMPLATES)) writeFileSync(join(chart, 'templates', name), text);
  writeFileSync(join(chart, 'values.yaml'), `${EXTRA_VALUES}\n`, { flag: 'a' });
  mkdirSync(opts.workdir, { recursive: true });
  const user = {
    replicaCount: 3,
    image: { tag: '1.0.0' },
    message: BASE_MESSAGE,
    settings: settingsMap(rng(1), 30_000),
  };
  const valuesFile = join(opts.workdir, 'user-values.json'); // JSON is YAML
  writeFileSync(valuesFile, JSON.stringify(user));
  const out = execFileSync(
    opts.helm,
    [
      'upgrade', '--install', 'web', chart,
      '-n', opts.namespace, '--kubeconfig', opts.kubeconfig,
      '--dry-run=client', '-o', 'json', '-f', valuesFile,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const release = JSON.parse(out) as Release;
  const helmVersion = execFileSync(opts.helm, ['version', '--short'], { encoding: 'utf8' }).trim();

  // The JS re-rendering of the settings ConfigMap must equal helm's, or variants would not be faithful.
  const manifest = release.manifest ?? '';
  const doc = settingsDoc(manifest);
  const expected = renderSettingsData(user.settings);
  if (!doc || !doc.text.endsWith(`data:${expected}`)) {
    throw new Error('bench: the settings ConfigMap helm rendered differs from the JS re-rendering; fix bench/records.ts');
  }
  return {
    release,
    helmVersion,
    jsonBytes: Buffer.byteLength(out.trim()),
    manifestBytes: Buffer.byteLength(manifest),
    templates: release.chart?.templates?.length ?? 0,
  };
}

/** The settings document's text within a manifest (from its `# Source:` line to the next `---`). */
function settingsDoc(manifest: string): { start: number; end: number; text: string } | undefined {
  const start = manifest.indexOf(SETTINGS_SOURCE);
  if (start < 0) return undefined;
  const next = manifest.indexOf('\n---\n', start);
  const end = next < 0 ? manifest.length : next;
  return { start, end, text: manifest.slice(start, end) };
}

export interface VariantOptions {
  readonly name: string;
  readonly namespace: string;
  readonly version: number;
  readonly status: Status;
  readonly description: string;
  /** Target manifest size in bytes (the settings map is sized to reach it). */
  readonly manifestBytes: number;
  /** Seed for everything random in this record. */
  readonly seed: number;
  /** Deploy time, Unix ms. */
  readonly deployedAt: number;
  readonly firstDeployedAt: number;
}

/** A new record: the base varied as a later upgrade of a real release would be. */
export function variant(base: Release, o: VariantOptions): Release {
  const rand = rng(o.seed);
  const minor = Math.floor(o.version / 10);
  const patch = o.version % 10;
  const tag = `1.${minor}.${patch}`;
  const chartVersion = `0.${1 + Math.floor(o.version / 25)}.${o.version % 25}`;
  const replicas = 2 + Math.floor(rand() * 5);
  const message = `hello from revision ${o.version}`;

  const baseManifest = base.manifest ?? '';
  const doc = settingsDoc(baseManifest)!;
  const head = doc.text.slice(0, doc.text.indexOf('\ndata:') + '\ndata:'.length);
  const rest = Buffer.byteLength(baseManifest) - Buffer.byteLength(doc.text);
  const settings = settingsMap(rand, Math.max(1000, o.manifestBytes - rest - head.length));

  const retarget = (s: string) =>
    s
      .replaceAll('helm.sh/chart: webapp-0.1.0', `helm.sh/chart: webapp-${chartVersion}`)
      .replaceAll('app.kubernetes.io/version: "1.0.0"', `app.kubernetes.io/version: "${tag}"`)
      .replaceAll('registry.example.com/webapp:1.0.0', `registry.example.com/webapp:${tag}`)
      .replaceAll('app.kubernetes.io/instance: web\n', `app.kubernetes.io/instance: ${o.name}\n`)
      .replace(/\bweb-webapp/g, `${o.name}-webapp`)
      .replaceAll('s3://backups/web/1', `s3://backups/${o.name}/${o.version}`)
      .replaceAll(`message: ${JSON.stringify(BASE_MESSAGE)}`, `message: ${JSON.stringify(message)}`)
      .replace('replicas: 3\n', `replicas: ${replicas}\n`)
      .replace(/checksum\/config: [0-9a-f]{64}/, `checksum/config: ${createHash('sha256').update(message).digest('hex')}`);
  const manifest = retarget(
    baseManifest.slice(0, doc.start) + head + renderSettingsData(settings) + baseManifest.slice(doc.end),
  );

  const deployed = goTime(o.deployedAt, Math.floor(rand() * 1e9));
  const hookStart = o.deployedAt - 40_000 - Math.floor(rand() * 20_000);
  const hooks = (base.hooks ?? []).map((h) => {
    const ran = o.version > 1 ? (h.events ?? []).includes('pre-upgrade') : (h.events ?? []).includes('pre-install');
    return {
      ...h,
      name: (h.name ?? '').replace(/^web-/, `${o.name}-`),
      manifest: retarget(h.manifest ?? ''),
      last_run: ran
        ? {
            started_at: goTime(hookStart, Math.floor(rand() * 1e9)),
            completed_at: goTime(hookStart + 5_000 + Math.floor(rand() * 30_000), Math.floor(rand() * 1e9)),
            phase: o.status === 'failed' && rand() < 0.5 ? 'Failed' : 'Succeeded',
          }
        : h.last_run,
    };
  });

  const chart = base.chart
    ? { ...base.chart, metadata: { ...base.chart.metadata, version: chartVersion, appVersion: tag } }
    : base.chart;
  const config = { ...(base.config ?? {}), replicaCount: replicas, image: { tag }, message, settings };
  return {
    ...base,
    name: o.name,
    info: {
      ...base.info,
      first_deployed: goTime(o.firstDeployedAt, 123456789),
      last_deployed: deployed,
      description: o.description,
      status: o.status,
      notes: `${o.name} serves "${message}" on port 80.\n`,
    },
    chart,
    config,
    manifest,
    hooks,
    version: o.version,
    namespace: o.namespace,
  };
}

/** 1,000-style corpus for the codec: varied records with manifests uniformly 20–60 KB. */
export function corpus(base: Release, count: number): Release[] {
  const rand = rng(42);
  const t0 = Date.UTC(2025, 0, 6, 9, 0, 0);
  return Array.from({ length: count }, (_, i) =>
    variant(base, {
      name: `app${i % 37}`,
      namespace: `team-${i % 11}`,
      version: 1 + Math.floor(rand() * 120),
      status: rand() < 0.8 ? 'superseded' : 'deployed',
      description: rand() < 0.9 ? 'Upgrade complete' : 'Install complete',
      manifestBytes: 20_000 + Math.floor(rand() * 40_000),
      seed: 1000 + i,
      deployedAt: t0 + i * 3_600_000,
      firstDeployedAt: t0,
    }),
  );
}

/** The 200-revision history of one release: install, upgrades, two failures, a rollback. */
export function historyRecords(base: Release, name: string, namespace: string, revisions: number): Release[] {
  const rand = rng(7);
  const t0 = Date.UTC(2025, 2, 3, 8, 0, 0);
  const failed = new Set([Math.floor(revisions * 0.3), Math.floor(revisions * 0.7)]);
  const rollback = Math.floor(revisions * 0.75);
  const out: Release[] = [];
  for (let v = 1; v <= revisions; v++) {
    const status: Status = failed.has(v) ? 'failed' : v === revisions ? 'deployed' : 'superseded';
    const description = failed.has(v)
      ? `Upgrade "${name}" failed: context deadline exceeded`
      : v === 1
        ? 'Install complete'
        : v === rollback
          ? `Rollback to ${v - 2}`
          : 'Upgrade complete';
    out.push(
      variant(base, {
        name,
        namespace,
        version: v,
        status,
        description,
        manifestBytes: 20_000 + Math.floor(rand() * 40_000),
        seed: 50_000 + v,
        deployedAt: t0 + v * 5_400_000,
        firstDeployedAt: t0 + 5_400_000,
      }),
    );
  }
  return out;
}
