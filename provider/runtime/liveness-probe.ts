import type { Clock, TimerHandle } from "../base/clock";
import type { LivenessCheck } from "../model/containers";
import { describeOutcome, probeLabel, probePassed, type ProbeOutcome } from "./http-probe";

/**
 * A container's liveness probe, as Cloud Run (and Kubernetes) runs one: no check before its startup
 * probe has passed, nor before initialDelaySeconds after its start; then one check every
 * periodSeconds, each given timeoutSeconds (never more than the period, so checks never overlap).
 * A passed check resets the count; failureThreshold failed checks in a row and the container is
 * dead: its instance is replaced as when its process dies. The schedule and the count are pure
 * (below); the watch runs them on an injected clock with an injected check, so it holds one timer
 * at a time, awaits nothing of the engine's, and once stopped neither checks again nor calls back.
 */

/**
 * When the first check is due: a period after the startup probe passed (it has just checked the
 * same app), and never before initialDelay after the container started.
 */
export function firstCheckAt(check: Pick<LivenessCheck, "initialDelayMs" | "periodMs">, startedAt: number, readyAt: number): number {
  return Math.max(startedAt + check.initialDelayMs, readyAt + check.periodMs);
}

/** When the next check is due after one due at `due` ended at `now`: a period on, or at once if that has passed. */
export function nextCheckAt(check: Pick<LivenessCheck, "periodMs">, due: number, now: number): number {
  return Math.max(due + check.periodMs, now);
}

/** What one check's outcome means for the container. */
export type LivenessVerdict = { alive: true } | { alive: false; dead: boolean; failures: number };

/** Consecutive failed checks: a pass resets them; the threshold's worth makes the container dead. */
export class FailureCount {
  private failures = 0;
  constructor(private readonly threshold: number) {}

  record(passed: boolean): LivenessVerdict {
    if (passed) {
      this.failures = 0;
      return { alive: true };
    }
    this.failures++;
    return { alive: false, dead: this.failures >= this.threshold, failures: this.failures };
  }
}

/** Why a container was found dead: its check, its port, the count and the last outcome. */
export function livenessFailure(check: LivenessCheck, failures: number, last: ProbeOutcome): string {
  const times = `${failures} time${failures === 1 ? "" : "s"}`;
  return `its liveness probe ${probeLabel(check)} on port ${check.port} failed ${times} in a row (${describeOutcome(last, check.grpc ? "call" : "GET")})`;
}

export interface LivenessWatchOptions {
  clock: Clock;
  check: LivenessCheck;
  /** Clock time of the container's start, and of its startup probe passing. */
  startedAt: number;
  readyAt: number;
  /** One check (a GET for an HTTP probe); never rejects. */
  probe: () => Promise<ProbeOutcome>;
  /** Called once, when the threshold is reached; the watch has stopped by then. */
  onDead: (reason: string) => void;
}

export interface LivenessWatch {
  /** No further check, no callback; the pending timer is cleared. Safe to call twice. */
  stop(): void;
}

export function watchLiveness(o: LivenessWatchOptions): LivenessWatch {
  const count = new FailureCount(o.check.failureThreshold);
  let stopped = false;
  let timer: TimerHandle | undefined;
  const schedule = (due: number) => {
    timer = o.clock.setTimeout(() => void run(due), due - o.clock.now());
  };
  const run = async (due: number) => {
    timer = undefined;
    if (stopped) return;
    const outcome = await o.probe();
    if (stopped) return;
    const verdict = count.record(probePassed(outcome));
    if (!verdict.alive && verdict.dead) {
      stopped = true;
      o.onDead(livenessFailure(o.check, verdict.failures, outcome));
      return;
    }
    schedule(nextCheckAt(o.check, due, o.clock.now()));
  };
  schedule(firstCheckAt(o.check, o.startedAt, o.readyAt));
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) o.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
