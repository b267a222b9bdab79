import { fileURLToPath } from 'node:url';

/** The alert rules for these metrics, a Prometheus rule file to list under `rule_files`. */
export const RULES_FILE = fileURLToPath(new URL('./helm-release.rules.yml', import.meta.url));
