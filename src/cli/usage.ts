/** Help text: one usage line per command (printed after usage errors) and the full help pages. */

export type CommandName = 'history' | 'status' | 'get values' | 'get manifest' | 'get hooks' | 'diff';

export const USAGE: Record<CommandName, string> = {
  history: 'helmstep history RELEASE_NAME [flags]',
  status: 'helmstep status RELEASE_NAME [flags]',
  'get values': 'helmstep get values RELEASE_NAME [flags]',
  'get manifest': 'helmstep get manifest RELEASE_NAME [flags]',
  'get hooks': 'helmstep get hooks RELEASE_NAME [flags]',
  diff: 'helmstep diff RELEASE_NAME [REVISION_A [REVISION_B]] [flags]',
};

const GLOBAL_FLAGS = `Global flags:
  -n, --namespace string      namespace of the release (default: $HELM_NAMESPACE, else the kube context's, else "default")
      --kubeconfig string     path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
      --kube-context string   name of the kubeconfig context to use
  -h, --help                  help for this command`;

const OUTPUT_FLAG = '  -o, --output format         prints the output in the specified format. Allowed values: table, json, yaml (default table)';
const REVISION_FLAG = '      --revision int          get the named release with revision (default: the newest)';

const DETAILS: Record<CommandName, string> = {
  history: `Prints the revisions of a release, as helm history does (same columns and JSON/YAML keys).

Flags:
      --max int               maximum number of revisions to include in history (default 256)
${OUTPUT_FLAG}`,
  status: `Shows the status of a release as recorded in its release Secret (helm 3's layout; live resources are not queried).

Flags:
${REVISION_FLAG}
${OUTPUT_FLAG}
      --show-desc             if set, display the description message of the named release`,
  'get values': `Prints the user-supplied values of a release (with --all, the chart's values coalesced under them).

Flags:
  -a, --all                   dump all (computed) values
${REVISION_FLAG}
${OUTPUT_FLAG}`,
  'get manifest': `Prints the manifest a release rendered (hooks excluded).

Flags:
${REVISION_FLAG}`,
  'get hooks': `Prints the hook manifests of a release.

Flags:
${REVISION_FLAG}`,
  diff: `Prints the unified diff between two revisions of a release: first the manifests, then the
user-supplied values (as get values prints them). With no revision, the previous revision is
compared with the newest; with one, that revision with the newest. --revision may be given twice
instead of the positional revisions. Prints nothing when the revisions are the same.

Flags:
      --revision int          a revision to compare (give it twice: from, then to)`,
};

export function commandHelp(name: CommandName): string {
  return `${DETAILS[name]}\n\nUsage:  ${USAGE[name]}\n\n${GLOBAL_FLAGS}\n`;
}

export const MAIN_HELP = `helmstep reads Helm release records (the cluster's helm.sh/release.v1 Secrets) and prints
them exactly as the helm CLI does.

Usage:  helmstep COMMAND RELEASE_NAME [flags]

Commands:
  history        revision history of a release
  status         status of a release
  get values     user-supplied (or, with --all, computed) values of a release
  get manifest   manifest of a release
  get hooks      hooks of a release
  diff           unified diff of two revisions' manifests and values

${GLOBAL_FLAGS}

Use "helmstep COMMAND --help" for more about a command.
`;
