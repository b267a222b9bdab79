/**
 * The deploy deliveries helmstep understands, as zod schemas over the fields it uses (unknown
 * fields pass, since GitHub adds fields over time), and their reduction to one `Delivery`:
 * repository, ref, sha, environment, actor, delivery id.
 *
 * GitHub: `push` (a branch or tag moved; a deletion starts nothing), `deployment` (created: the
 * environment is the point), `workflow_run` (completed with success: CI passed for a commit;
 * anything else starts nothing), and `ping` (sent when the hook is created). Generic: a JSON
 * object `{ source, ref?, sha?, environment?, actor?, version? }`.
 */
import * as z from 'zod';

import { ignore, refuse, type Ignored, type Refusal } from './answer.ts';
import type { Authenticated } from './verify.ts';

export const GITHUB_EVENTS = ['push', 'deployment', 'workflow_run'] as const;
export type GithubEvent = (typeof GITHUB_EVENTS)[number];

export interface Delivery {
  readonly source: 'github' | 'generic';
  /** The GitHub event, or `generic`. */
  readonly event: GithubEvent | 'generic';
  readonly deliveryId: string;
  /** GitHub: `owner/name` as GitHub spells it. */
  readonly repository?: string;
  /** Generic: the sender's `source`. */
  readonly genericSource?: string;
  /** push: `refs/heads/<branch>` or `refs/tags/<tag>`; deployment: the ref as requested; workflow_run: `refs/heads/<head_branch>`. */
  readonly ref?: string;
  readonly sha?: string;
  /** deployment (or generic): the target environment. */
  readonly environment?: string;
  /** Who caused it: a GitHub login, or the generic sender's `actor`. */
  readonly actor?: string;
  /** Generic only: a version the sender wants deployed (an image tag, a chart version). */
  readonly version?: string;
}

const sha = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'expected a 40 or 64 hex digit commit id');
const login = z.object({ login: z.string().min(1) });
const repository = z.object({ full_name: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name') });

export const PushSchema = z.object({
  ref: z.string().startsWith('refs/', 'expected a full ref such as refs/heads/main'),
  after: sha,
  deleted: z.boolean().optional(),
  repository,
  sender: login,
});

export const DeploymentSchema = z.object({
  action: z.string(),
  deployment: z.object({
    sha,
    ref: z.string().min(1),
    environment: z.string().min(1),
    creator: login.nullish(),
  }),
  repository,
  sender: login,
});

export const WorkflowRunSchema = z.object({
  action: z.string(),
  workflow_run: z.object({
    head_branch: z.string().min(1).nullable(),
    head_sha: sha,
    status: z.string().nullish(),
    conclusion: z.string().nullable(),
    name: z.string().nullish(),
    actor: login.nullish(),
    triggering_actor: login.nullish(),
  }),
  repository,
  sender: login,
});

const token = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/@+-]{0,254}$/, 'expected letters, digits and . _ / @ + - (at most 255)');

export const GenericSchema = z.strictObject({
  /** Which sender this is; targets match on it. */
  source: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/:-]{0,127}$/, 'expected 1 to 128 of letters, digits and . _ / : -'),
  ref: token.optional(),
  sha: sha.optional(),
  environment: token.optional(),
  actor: token.optional(),
  version: token.optional(),
});

/** zod issues in one line: `path: message; path: message` (at most 5, then a count). */
export function summariseIssues(error: z.ZodError): string {
  const lines = error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`);
  const shown = lines.slice(0, 5).join('; ');
  return lines.length > 5 ? `${shown}; and ${lines.length - 5} more` : shown;
}

function invalid(what: string, error: z.ZodError): Refusal {
  return refuse('InvalidPayload', `invalid ${what} payload: ${summariseIssues(error)}`);
}

/** The Delivery an authenticated request carries, or why it starts nothing (ignored) or is refused (400). */
export function toDelivery(auth: Authenticated): Delivery | Ignored | Refusal {
  const { deliveryId } = auth;
  if (auth.source === 'generic') {
    const parsed = GenericSchema.safeParse(auth.payload);
    if (!parsed.success) return invalid('generic', parsed.error);
    const p = parsed.data;
    return {
      source: 'generic',
      event: 'generic',
      deliveryId,
      genericSource: p.source,
      ...(p.ref !== undefined && { ref: p.ref }),
      ...(p.sha !== undefined && { sha: p.sha }),
      ...(p.environment !== undefined && { environment: p.environment }),
      ...(p.actor !== undefined && { actor: p.actor }),
      ...(p.version !== undefined && { version: p.version }),
    };
  }

  switch (auth.event) {
    case 'ping':
      return ignore(deliveryId, 'ping received: the webhook reaches helmstep and its signature checks out');
    case 'push': {
      const parsed = PushSchema.safeParse(auth.payload);
      if (!parsed.success) return invalid('push', parsed.error);
      const p = parsed.data;
      if (p.deleted === true || /^0+$/.test(p.after)) {
        return ignore(deliveryId, `push deleted ${p.ref} in ${p.repository.full_name}; nothing to deploy`);
      }
      return {
        source: 'github',
        event: 'push',
        deliveryId,
        repository: p.repository.full_name,
        ref: p.ref,
        sha: p.after,
        actor: p.sender.login,
      };
    }
    case 'deployment': {
      const parsed = DeploymentSchema.safeParse(auth.payload);
      if (!parsed.success) return invalid('deployment', parsed.error);
      const p = parsed.data;
      if (p.action !== 'created') return ignore(deliveryId, `deployment ${p.action} in ${p.repository.full_name}; only created deployments deploy`);
      return {
        source: 'github',
        event: 'deployment',
        deliveryId,
        repository: p.repository.full_name,
        ref: p.deployment.ref,
        sha: p.deployment.sha,
        environment: p.deployment.environment,
        actor: p.deployment.creator?.login ?? p.sender.login,
      };
    }
    case 'workflow_run': {
      const parsed = WorkflowRunSchema.safeParse(auth.payload);
      if (!parsed.success) return invalid('workflow_run', parsed.error);
      const p = parsed.data;
      const run = p.workflow_run;
      if (p.action !== 'completed' || run.conclusion !== 'success') {
        return ignore(
          deliveryId,
          `workflow run${run.name ? ` "${run.name}"` : ''} in ${p.repository.full_name} is ${p.action}` +
            `${run.conclusion ? ` (${run.conclusion})` : ''}; only completed successful runs deploy`,
        );
      }
      if (run.head_branch === null) {
        return ignore(deliveryId, `workflow run in ${p.repository.full_name} has no head branch; nothing to match a target on`);
      }
      return {
        source: 'github',
        event: 'workflow_run',
        deliveryId,
        repository: p.repository.full_name,
        ref: `refs/heads/${run.head_branch}`,
        sha: run.head_sha,
        actor: run.triggering_actor?.login ?? run.actor?.login ?? p.sender.login,
      };
    }
    default:
      return ignore(deliveryId, `GitHub event "${auth.event}" does not deploy; subscribe the webhook to push, deployment or workflow_run`);
  }
}

export function isDelivery(value: Delivery | Ignored | Refusal): value is Delivery {
  return !('outcome' in value);
}
