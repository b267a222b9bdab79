/**
 * What an alarm transition does, and the deploy freeze it leaves behind (as CodeDeploy does after
 * an alarm rollback): pure decisions over a transition and the release's freeze state, which the
 * caller reads and writes.
 *
 * - ALARM / firing on a mapped, unfrozen release → roll it back, once: the execution name derives
 *   from alarm id + transition time, so a redelivered event maps to the same execution; the
 *   caller records the returned freeze.
 * - ALARM / firing on a release already frozen → recorded only. Its rollback already happened
 *   (or is under way); a second alarm rolling back again would step back one more revision.
 * - OK / resolved / INSUFFICIENT_DATA, or no release → recorded only.
 * - A deploy delivery for a frozen release → 409 with the freeze's reason, until acknowledged.
 *   Only automatic deploys are frozen: people can still deploy and roll back by hand.
 */
import { refuse, type Refusal } from './answer.ts';
import type { AlarmTransition } from './alarms.ts';
import { alarmExecutionName } from './naming.ts';
import { releaseText, targetRelease, type ReleaseKey, type Target } from './targets.ts';

export interface Freeze {
  readonly release: ReleaseKey;
  /** The transition that froze it. */
  readonly alarmId: string;
  readonly alarmName: string;
  readonly transitionTime: string;
  /** The rollback execution it started. */
  readonly executionName: string;
  readonly reason: string;
}

export type FreezeState = { readonly frozen: false } | ({ readonly frozen: true } & Freeze);

export const NOT_FROZEN: FreezeState = { frozen: false };

export type AlarmAction =
  | {
      readonly action: 'rollback';
      readonly executionName: string;
      readonly release: ReleaseKey;
      /** To record (conditionally: only when not frozen) together with starting the rollback. */
      readonly freeze: Freeze;
      readonly transition: AlarmTransition;
    }
  | {
      readonly action: 'record-only';
      readonly why: 'recovered' | 'no-data' | 'unmapped' | 'duplicate' | 'already-frozen';
      readonly message: string;
      readonly transition: AlarmTransition;
    };

function transitionText(t: AlarmTransition): string {
  return `alarm "${t.alarmName}" went ${t.previousState !== undefined ? `${t.previousState} -> ` : ''}${t.state} at ${t.time}`;
}

export function alarmAction(transition: AlarmTransition, freeze: FreezeState): AlarmAction {
  const t = transition;
  const recordOnly = (why: Extract<AlarmAction, { action: 'record-only' }>['why'], message: string): AlarmAction => ({
    action: 'record-only',
    why,
    message,
    transition: t,
  });
  if (t.state === 'OK' || t.state === 'resolved') return recordOnly('recovered', `${transitionText(t)}; recorded, nothing to do`);
  if (t.state === 'INSUFFICIENT_DATA') return recordOnly('no-data', `${transitionText(t)}; recorded, no rollback without data`);
  if (t.release === undefined) {
    return recordOnly('unmapped', `${transitionText(t)} but names no release (${t.unmapped ?? 'unmapped'}); recorded, nothing rolled back`);
  }
  const name = alarmExecutionName(t.alarmId, t.time);
  if (freeze.frozen) {
    if (freeze.executionName === name) {
      return recordOnly('duplicate', `${transitionText(t)}: this transition already started rollback ${name}; nothing new was started`);
    }
    return recordOnly(
      'already-frozen',
      `${transitionText(t)} but ${releaseText(t.release)} is already frozen by alarm "${freeze.alarmName}" at ${freeze.transitionTime} ` +
        `(rollback ${freeze.executionName}); recorded, not rolled back again. Acknowledge the freeze (helmstep ack) once it is fixed`,
    );
  }
  return {
    action: 'rollback',
    executionName: name,
    release: t.release,
    transition: t,
    freeze: {
      release: t.release,
      alarmId: t.alarmId,
      alarmName: t.alarmName,
      transitionTime: t.time,
      executionName: name,
      reason: `${transitionText(t)}${t.reason !== undefined ? ` (${t.reason.slice(0, 300)})` : ''}; rolled back by execution ${name}`,
    },
  };
}

/** Whether an automatic deploy of the release may start: 409 with the freeze's reason when frozen. */
export function deployDecision(target: Target | ReleaseKey, freeze: FreezeState): { readonly ok: true } | Refusal {
  if (!freeze.frozen) return { ok: true };
  const release = 'chart' in target ? targetRelease(target) : target;
  return refuse(
    'ReleaseFrozen',
    `${releaseText(release)} is frozen for automatic deploys since ${freeze.transitionTime}: ${freeze.reason}. ` +
      `Nothing was started. Fix the cause, then acknowledge the freeze (helmstep ack) and send the delivery again`,
  );
}
