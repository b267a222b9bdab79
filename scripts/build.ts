/**
 * `npm run build`: the helmstep CLI bundled into dist/cli/: helmstep.mjs (the `helmstep` bin)
 * and the chunks it imports.
 *
 * Why a bundle: node resolving and compiling hundreds of files is most of a read command's
 * start-up. Why chunks: what only some commands need (@kubernetes/client-node, the release
 * engine) is reached through dynamic import(); in a chunk of its own it is neither parsed nor
 * evaluated until a command imports it, where one file would make every start parse all of it.
 *
 * Every file sits two folders below the repository, as every module does in src/<area>/, so a
 * path a module builds from import.meta.url (a state machine definition, say) names the same
 * file in the bundle.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const REPO = fileURLToPath(new URL('..', import.meta.url));
export const OUTDIR = 'dist/cli';
export const ENTRY = `${OUTDIR}/helmstep.mjs`;

/**
 * @kubernetes/client-node re-exports everything from its index, and some of what it imports
 * runs code on load (ws, node-fetch, socks...): without help, one `ApiException` imported from
 * it brings ~1.7 MB and ~70 ms of start-up. Its modules have no side effects anyone relies on
 * (no bare imports, no top-level calls), so the bundler may drop whatever is not used.
 */
const clientNodeHasNoSideEffects: Plugin = {
  name: 'client-node-has-no-side-effects',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'resolving') return undefined;
      const fromClientNode = /[\\/]node_modules[\\/]@kubernetes[\\/]client-node[\\/]/.test(args.importer);
      if (!fromClientNode && args.path !== '@kubernetes/client-node') return undefined;
      if (args.path.startsWith('node:')) return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
      if (r.errors.length > 0 || r.external) return undefined;
      return { path: r.path, namespace: r.namespace, sideEffects: false };
    });
  },
};

export async function buildCli(outdir = OUTDIR): Promise<void> {
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: ['src/cli/main.ts'],
    outdir,
    entryNames: 'helmstep',
    splitting: true,
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // CommonJS packages inside an ESM bundle call require() for node's own modules.
    banner: { js: "import { createRequire as __helmstepCreateRequire } from 'node:module';\nconst require = __helmstepCreateRequire(import.meta.url);" },
    // Less text to parse at every start; identifiers are kept, so stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    plugins: [clientNodeHasNoSideEffects],
    // dynalite's LevelDB is a native addon that finds its binary beside its own files: it is
    // loaded from node_modules at run time (only by commands that open the local state).
    external: ['dynalite'],
    logLevel: 'warning',
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.map((e) => e.text).join('; ')}`);
  chmodSync(resolve(REPO, outdir, 'helmstep.mjs'), 0o755);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  rmSync(`${REPO}/dist`, { recursive: true, force: true });
  mkdirSync(`${REPO}/${OUTDIR}`, { recursive: true });
  await buildCli();
  process.stdout.write(`build: ${ENTRY} in ${Math.round(performance.now() - t0)} ms\n`);
}
