import { canonicalJson } from "../../provider/base/canonical-json";
import { EngineError } from "../../provider/client/api-client";
import type { Binding, Policy } from "../../provider/model/iam";
import { targetPath, type IamTarget } from "../gcp/iam";
import { engine, explain, isNotFound } from "./engine";

/**
 * How the IAM resources change a policy on the engine: read it, edit it, and write it back naming
 * the etag it was read with. Pulumi runs resources in parallel, so two Members of one service
 * often edit its policy at once; the engine refuses the second write (409, stale etag) and it is
 * read and edited again, as pulumi-gcp does against Cloud Run.
 */

const ATTEMPTS = 8;

function describe(target: IamTarget): string {
  return `the IAM policy of ${target.kind} "${target.name}" in project "${target.project}"`;
}

/** The engine refused a write made from a stale read of the policy. */
function isStalePolicy(error: unknown): boolean {
  return error instanceof EngineError && error.status === 409 && error.violations.some((v) => v.field === "policy.etag");
}

/** The policy, or undefined when the service or job does not exist (any more). */
export async function readPolicy(target: IamTarget): Promise<Policy | undefined> {
  const client = await engine();
  try {
    return await client.getPolicy(target.project, target.kind, target.name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw explain(`reading ${describe(target)}`, error);
  }
}

/**
 * Applies `edit` to the current policy and writes it, again from a fresh read if someone changed
 * it in between. Resolves with the policy as written (unchanged when the edit changed nothing),
 * or undefined when the target is gone and `ifGone` is "ignore" (a delete has nothing to undo).
 */
export async function editPolicy(
  target: IamTarget,
  edit: (bindings: Binding[]) => Binding[],
  action: string,
  ifGone: "fail" | "ignore",
): Promise<Policy | undefined> {
  const client = await engine();
  for (let attempt = 1; ; attempt++) {
    const current = await readPolicy(target);
    if (!current) {
      if (ifGone === "ignore") return undefined;
      throw new Error(`${action} ${describe(target)}: ${target.kind} "${target.name}" does not exist in project "${target.project}"`);
    }
    const bindings = edit(current.bindings);
    if (canonicalJson(bindings) === canonicalJson(current.bindings)) return current;
    try {
      return await client.setPolicy(target.project, target.kind, target.name, bindings, current.etag);
    } catch (error) {
      if (isNotFound(error) && ifGone === "ignore") return undefined;
      if (!isStalePolicy(error) || attempt >= ATTEMPTS) throw explain(`${action} ${describe(target)}`, error);
      // Someone wrote between our read and write: spread the retries so parallel editors interleave.
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * attempt));
    }
  }
}

/** A resource's Pulumi id: its policy's path, then what part of it the resource owns. */
export function iamId(target: IamTarget, ...part: string[]): string {
  return [targetPath(target), ...part].join("/");
}
