import { execFile } from 'node:child_process';
import { HelmstepError, type ReleaseRef } from '../release/errors.ts';
import type { RenderedRelease } from '../release/lifecycle.ts';
import { validateRelease } from '../release/codec.ts';

/** helm could not render the chart (bad values, template error, missing chart); helm's own text attached. */
export class RenderFailed extends HelmstepError {
  override readonly name = 'RenderFailed';
  readonly reason = 'RenderFailed';
  constructor(
    readonly ref: ReleaseRef,
    readonly chart: string,
    readonly helmStderr: string,
  ) {
    super(
      `helm could not render chart ${chart} for release "${ref.name}" in namespace "${ref.namespace}": ${helmStderr.trim().replace(/^Error: /, '')}; fix the chart or values and retry`,
    );
  }
}

/** User values as helm takes them on its command line. */
export interface ValuesInput {
  /** `-f/--values` files, in order. */
  readonly files?: readonly string[];
  /** `--set` / `--set-string` assignments, in command-line order. */
  readonly set?: readonly { readonly kind: 'set' | 'set-string'; readonly value: string }[];
}

export interface RenderRequest {
  readonly ref: ReleaseRef;
  /** Chart directory, packaged .tgz, or repo/chart reference that helm understands. */
  readonly chart: string;
  readonly values?: ValuesInput;
  /** @deprecated use values.files */
  readonly valuesFiles?: readonly string[];
  /** `--set key=value` pairs, in order. @deprecated use values.set */
  readonly set?: readonly string[];
  readonly version?: string;
  /** The helm binary (Helm 4 from the kubectl layer in Lambda). */
  readonly helm: string;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
}

/**
 * Renders with Helm's own engine: `helm upgrade --install --dry-run=client -o json` returns the
 * release helm would store (chart object, user values, manifest in install order, sorted hooks,
 * notes) with the right .Release.Revision and .Release.IsUpgrade, and writes nothing. helmstep
 * then keeps the records itself. Throws RenderFailed.
 */
export async function renderRelease(req: RenderRequest, now = new Date()): Promise<RenderedRelease & { version: number }> {
  const args = ['upgrade', '--install', req.ref.name, req.chart, '--namespace', req.ref.namespace, '--dry-run=client', '--output', 'json'];
  for (const f of [...(req.valuesFiles ?? []), ...(req.values?.files ?? [])]) args.push('--values', f);
  for (const s of req.set ?? []) args.push('--set', s);
  for (const s of req.values?.set ?? []) args.push(`--${s.kind}`, s.value);
  if (req.version) args.push('--version', req.version);
  if (req.kubeconfig) args.push('--kubeconfig', req.kubeconfig);
  if (req.kubeContext) args.push('--kube-context', req.kubeContext);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(req.helm, args, { maxBuffer: 256 * 1024 * 1024 }, (err, out, stderr) => {
      if (err) reject(new RenderFailed(req.ref, req.chart, stderr || err.message));
      else resolve(out);
    });
  });
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
