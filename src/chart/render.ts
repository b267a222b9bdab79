import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { HelmstepError, type ReleaseRef } from '../release/errors.ts';
import type { RenderedRelease } from '../release/lifecycle.ts';
import { validateRelease } from '../release/codec.ts';
import { withHelmHome } from './helm-home.ts';
import {
  describeSource,
  diagnose,
  redactText,
  sourceArgs,
  sourceOptionsOf,
  sourceProblem,
  type ChartSource,
  type ChartSourceOptions,
  type Diagnosis,
  type RenderFailureKind,
} from './source.ts';

export type { ChartSource, ChartSourceOptions, RenderFailureKind } from './source.ts';

/**
 * helm could not render the chart: a bad source (chart or version not found, TLS, credentials,
 * unreachable), a template or values error. helm's own text attached (the password taken out),
 * with what to do next. Retryable only when the repository or registry did not answer.
 */
export class RenderFailed extends HelmstepError {
  override readonly name = 'RenderFailed';
  readonly reason = 'RenderFailed';
  override readonly retryable: boolean;
  readonly kind: RenderFailureKind;
  constructor(
    readonly ref: ReleaseRef,
    readonly chart: string,
    readonly helmStderr: string,
    diagnosis: Diagnosis = { kind: 'chart-error', hint: 'fix the chart or values and retry', retryable: false },
  ) {
    super(
      `helm could not render chart ${chart} for release "${ref.name}" in namespace "${ref.namespace}": ${helmStderr.trim().replace(/^Error: /, '')}; ${diagnosis.hint}`,
    );
    this.kind = diagnosis.kind;
    this.retryable = diagnosis.retryable;
  }
}

/** User values as helm takes them on its command line. */
export interface ValuesInput {
  /** `-f/--values` files, in order. */
  readonly files?: readonly string[];
  /** `--set` / `--set-string` assignments, in command-line order. */
  readonly set?: readonly { readonly kind: 'set' | 'set-string'; readonly value: string }[];
}

export interface RenderRequest extends ChartSourceOptions {
  readonly ref: ReleaseRef;
  /** Chart directory, packaged .tgz, `oci://host/path/chart`, or a chart name with `repo`. */
  readonly chart: string;
  readonly values?: ValuesInput;
  /** @deprecated use values.files */
  readonly valuesFiles?: readonly string[];
  /** `--set key=value` pairs, in order. @deprecated use values.set */
  readonly set?: readonly string[];
  /** Chart version or semver range (helm's --version). */
  readonly version?: string;
  /** The helm binary (Helm 4 from the kubectl layer in Lambda). */
  readonly helm: string;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
  /**
   * Give up on helm after this long (a repository or registry that accepts the connection and
   * never answers would otherwise hold the render until the function's own timeout); the
   * failure is a retryable RenderFailed. @default 120_000
   */
  readonly timeoutMs?: number;
}

/**
 * Renders with Helm's own engine: `helm upgrade --install --dry-run=client -o json` returns the
 * release helm would store (chart object, user values, manifest in install order, sorted hooks,
 * notes) with the right .Release.Revision and .Release.IsUpgrade, and writes nothing. helmstep
 * then keeps the records itself. The chart comes from a path, an HTTPS repository or an OCI
 * registry, downloaded into a helm home of this render's own that is removed afterwards, so a
 * retried render starts clean and leaves nothing. Throws RenderFailed.
 */
export async function renderRelease(req: RenderRequest, now = new Date()): Promise<RenderedRelease & { version: number }> {
  const source: ChartSource = { chart: req.chart, ...(req.version ? { chartVersion: req.version } : {}), ...sourceOptionsOf(req) };
  const label = describeSource(source);
  const problem = sourceProblem(source);
  if (problem) throw new RenderFailed(req.ref, label, problem, { kind: 'invalid-source', hint: 'nothing was changed', retryable: false });
  if (req.caFile !== undefined) {
    try {
      await access(req.caFile, constants.R_OK);
    } catch {
      throw new RenderFailed(req.ref, label, `the CA file ${req.caFile} cannot be read`, {
        kind: 'invalid-source',
        hint: "caFile must be a readable PEM CA bundle on the machine that renders (in Lambda: a file in the function's bundle or under /tmp)",
        retryable: false,
      });
    }
  }
  const args = ['upgrade', '--install', req.ref.name, req.chart, '--namespace', req.ref.namespace, '--dry-run=client', '--output', 'json'];
  for (const f of [...(req.valuesFiles ?? []), ...(req.values?.files ?? [])]) args.push('--values', f);
  for (const s of req.set ?? []) args.push('--set', s);
  for (const s of req.values?.set ?? []) args.push(`--${s.kind}`, s.value);
  args.push(...sourceArgs(source));
  if (req.kubeconfig) args.push('--kubeconfig', req.kubeconfig);
  if (req.kubeContext) args.push('--kube-context', req.kubeContext);
  const timeoutMs = req.timeoutMs ?? 120_000;
  const stdout = await withHelmHome(
    (helmEnv) =>
      new Promise<string>((resolve, reject) => {
        execFile(req.helm, args, { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, ...helmEnv }, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, out, stderr) => {
          if (!err) return resolve(out);
          // Killed by the timeout (an output over maxBuffer is killed too, and says so in its code).
          if (err.killed && err.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
            const text = `helm did not finish within ${timeoutMs / 1000} s`;
            return reject(new RenderFailed(req.ref, label, text, { kind: 'unreachable', hint: 'the chart download hung: check that the repository or registry answers; retrying may pass', retryable: true }));
          }
          const text = redactText(stderr || err.message, source);
          reject(new RenderFailed(req.ref, label, text, diagnose(text, source)));
        });
      }),
  );
  const rel = validateRelease(JSON.parse(stdout) as unknown);
  return {
    chart: rel.chart ?? null,
    config: rel.config ?? {}, // empty user values are omitted from the stored record
    manifest: rel.manifest ?? '',
    hooks: rel.hooks ?? [],
    ...(rel.info.notes ? { notes: rel.info.notes } : {}),
    ...(rel.apply_method ? { applyMethod: rel.apply_method } : {}),
    now,
    version: rel.version,
  };
}
