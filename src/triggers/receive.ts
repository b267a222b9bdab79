/**
 * A deploy delivery from raw request to started execution, with the I/O injected: reading a
 * release's freeze, recording the delivery id, starting the deploy machine. Every check that can
 * refuse runs before `seen` records anything, and `seen` runs before `start`, so a refused
 * delivery changes nothing and a redelivery starts nothing (409, naming the first execution).
 */
import type { Ignored, Refusal } from './answer.ts';
import { deployDecision, type FreezeState } from './freeze.ts';
import { executionName } from './naming.ts';
import { isDelivery, toDelivery, type Delivery } from './payloads.ts';
import { matchTarget, resolveDeploy, type ReleaseKey, type ResolvedDeploy, type TargetsConfig } from './targets.ts';
import { authenticateGeneric, authenticateGithub, replayCheck, type Seen, type VerifyOptions } from './verify.ts';
import type { RawRequest } from './http.ts';

/** What the deploy machine is asked to run; the name makes StartExecution idempotent per delivery. */
export interface DeployStart {
  readonly executionName: string;
  readonly deploy: ResolvedDeploy;
  readonly delivery: Delivery;
}

export interface ReceiveDeps {
  readonly verify: VerifyOptions;
  readonly config: TargetsConfig;
  readonly freezeOf: (release: ReleaseKey) => FreezeState | Promise<FreezeState>;
  /** Records the delivery id (a conditional write in the service); true when it was already there. */
  readonly seen: Seen;
  readonly start: (request: DeployStart) => Promise<{ readonly executionId: string }>;
  /**
   * On a replay: the execution the first delivery started, started again under the same name
   * when the first attempt was recorded but never started (a crash between the two); its id goes
   * into the 409. Optional: without it the 409 names the execution only.
   */
  readonly resume?: (request: DeployStart) => Promise<{ readonly executionId: string }>;
}

export interface Accepted {
  readonly ok: true;
  readonly outcome: 'accepted';
  readonly status: 202;
  readonly deliveryId: string;
  readonly executionName: string;
  readonly executionId: string;
  readonly target: string;
  readonly release: ReleaseKey;
  readonly message: string;
}

export type DeliveryAnswer = Accepted | Ignored | Refusal;

export async function receiveDelivery(source: 'github' | 'generic', request: RawRequest, deps: ReceiveDeps): Promise<DeliveryAnswer> {
  const auth = source === 'github' ? authenticateGithub(request, deps.verify) : authenticateGeneric(request, deps.verify);
  if (!auth.ok) return auth;

  const delivery = toDelivery(auth);
  if (!isDelivery(delivery)) return delivery;

  const matched = matchTarget(deps.config, delivery);
  if (!matched.ok) return matched;
  const resolved = resolveDeploy(matched.target, delivery);
  if (!resolved.ok) return resolved;
  const { deploy } = resolved;

  const allowed = deployDecision(deploy.release, await deps.freezeOf(deploy.release));
  if (!allowed.ok) return allowed;

  const name = executionName(source, delivery.deliveryId);
  const replay = await replayCheck(source, delivery.deliveryId, deps.seen);
  if (replay) {
    if (!deps.resume) return replay;
    const { executionId } = await deps.resume({ executionName: name, deploy, delivery });
    return { ...replay, executionId };
  }

  const { executionId } = await deps.start({ executionName: name, deploy, delivery });
  return {
    ok: true,
    outcome: 'accepted',
    status: 202,
    deliveryId: delivery.deliveryId,
    executionName: name,
    executionId,
    target: deploy.target,
    release: deploy.release,
    message: `delivery ${delivery.deliveryId} started execution ${name} to deploy ${deploy.chart} as target "${deploy.target}"`,
  };
}
