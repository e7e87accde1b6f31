import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { EngineError, type EngineClient, type PolicyOwner } from "../client/api-client";
import { withMember, withoutMember, type Binding, type Policy } from "../model/iam";
import { memberFlag, roleFlag } from "./access-flags";
import { commonOptions, connect, noteIgnoredFlags, withCommon } from "./common";
import { nameArg } from "./flags";
import { render, type Format } from "./formats";
import { printTable, UsageError, useFlagNames } from "./output";

/**
 * gcloud's four IAM commands on a service or a job: get-iam-policy, set-iam-policy FILE,
 * add-iam-policy-binding and remove-iam-policy-binding (--member, --role). The policy prints as
 * gcloud prints one (YAML by default: bindings, etag, version), and "Updated IAM policy for ..."
 * goes to stderr as gcloud's status lines do, so `> policy.yaml` keeps only the policy.
 */
export type PolicyKind = PolicyOwner;

/** What a binding does here, for the commands' help. */
const ROLE_EFFECT: Record<PolicyKind, string> = {
  service: " (roles/run.invoker: may call it; allUsers: anyone, without a token)",
  // Jobs are executed through the engine's admin API, which only its owner can reach.
  job: " (kept as set, for tools that read it; it has no local effect)",
  // Any container of the engine may read any of its secrets: the owner set them up for its services and jobs.
  secret: " (kept as set, for tools that read it; it has no local effect)",
};

/** Adds the four commands to `group` (`skiff services`, `skiff jobs` or `skiff secrets`). */
export function addIamPolicyCommands(group: Command, kind: PolicyKind): void {
  // Each takes the service or job first, --project, --format (YAML, as gcloud prints policies) and gcloud's --region.
  const policyCommand = (name: string) => withCommon(group.command(name), "yaml").argument(`<${kind}>`, `${kind} name`, nameArg(kind));

  policyCommand("get-iam-policy")
    .description(`print the ${kind}'s IAM policy${ROLE_EFFECT[kind]}`)
    .action(async (name: string, options) => {
      const { project, format } = commonOptions(options);
      noteIgnoredFlags(options);
      printPolicy(format, await (await connect()).getPolicy(project, kind, name));
    });

  policyCommand("set-iam-policy")
    .argument("<file>", "the policy in JSON or YAML, as get-iam-policy prints it; with its etag, a policy changed since is refused")
    .description(`replace the ${kind}'s IAM policy`)
    .action(async (name: string, file: string, options) => {
      const { project, format } = commonOptions(options);
      noteIgnoredFlags(options);
      const { bindings, etag } = readPolicyFile(file);
      // The engine's violations name the policy's own fields: point them at the file.
      useFlagNames({ policy: "FILE" });
      const client = await connect();
      const policy = await client.setPolicy(project, kind, name, bindings, etag).catch((error: unknown) => {
        if (!isStaleEtag(error)) throw error;
        throw new UsageError(
          `FILE: etag "${etag}" is stale: the IAM policy of ${kind} [${name}] was changed since it was read; get it again with get-iam-policy and retry`,
        );
      });
      updated(kind, name, format, policy);
    });

  type BindingChange = (bindings: Binding[], role: string, member: string, name: string) => Binding[];
  const bindingCommand = (commandName: string, description: string, change: BindingChange) =>
    policyCommand(commandName)
      .description(description)
      .requiredOption(
        "--member <member>",
        "allUsers, allAuthenticatedUsers, user:EMAIL, serviceAccount:EMAIL, group:EMAIL or domain:DOMAIN",
        memberFlag,
      )
      .requiredOption("--role <role>", "the role, e.g. roles/run.invoker (the only one with a local effect)", roleFlag)
      .action(async (name: string, options) => {
        const { project, format } = commonOptions(options);
        noteIgnoredFlags(options);
        const policy = await changePolicy(await connect(), project, kind, name, (bindings) =>
          change(bindings, options.role, options.member, name),
        );
        updated(kind, name, format, policy);
      });

  bindingCommand("add-iam-policy-binding", `let --member have --role on the ${kind}${ROLE_EFFECT[kind]}`, withMember);
  bindingCommand("remove-iam-policy-binding", `take --role on the ${kind} away from --member`, (bindings, role, member, name) => {
    // As gcloud: removing a binding that is not there is an error, not a silent success.
    if (!bindings.some((b) => b.role === role && b.members.includes(member)))
      throw new UsageError(`--member: ${member} has no ${role} binding on ${kind} [${name}]; nothing changed`);
    return withoutMember(bindings, role, member);
  });
}

/**
 * Read, change, write with the etag that was read: a change someone else made meanwhile is never
 * undone. On a conflict the policy is read again and the change retried once, as deploy does with
 * generations; a second conflict is reported (exit 1).
 */
async function changePolicy(
  client: EngineClient,
  project: string,
  kind: PolicyKind,
  name: string,
  change: (bindings: Binding[]) => Binding[],
): Promise<Policy> {
  for (let tries = 1; ; tries++) {
    const current = await client.getPolicy(project, kind, name);
    try {
      return await client.setPolicy(project, kind, name, change(current.bindings), current.etag);
    } catch (error) {
      if (!isStaleEtag(error)) throw error;
      if (tries >= 2) throw new UsageError(`the IAM policy of ${kind} [${name}] was changed by someone else while this command ran; retry`);
    }
  }
}

function isStaleEtag(error: unknown): boolean {
  return error instanceof EngineError && error.status === 409 && error.violations.some((v) => v.field === "policy.etag");
}

function updated(kind: PolicyKind, name: string, format: Format, policy: Policy): void {
  process.stderr.write(`Updated IAM policy for ${kind} [${name}].\n`);
  printPolicy(format, policy);
}

/** As gcloud prints a policy: each binding's members then role, the etag, version 1 (no conditions). */
export function gcloudPolicy(policy: Policy): Record<string, unknown> {
  return {
    ...(policy.bindings.length > 0 ? { bindings: policy.bindings.map((b) => ({ members: b.members, role: b.role })) } : {}),
    etag: policy.etag,
    version: 1,
  };
}

function printPolicy(format: Format, policy: Policy): void {
  render(format, gcloudPolicy(policy), () =>
    printTable([["ROLE", "MEMBER"], ...policy.bindings.flatMap((b) => b.members.map((m) => [b.role, m]))]),
  );
}

/**
 * A policy file as gcloud's set-iam-policy takes it: `{ bindings, etag?, version? }` in JSON or
 * YAML. Conditions (version 3) have no local meaning and are refused rather than dropped, since
 * dropping one would grant more than the file says.
 */
export function parsePolicyFile(doc: unknown): { bindings: Binding[]; etag?: string } {
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    throw new UsageError("FILE: must be a policy: a mapping with bindings (and etag, version)");
  const { bindings = [], etag, version, ...rest } = doc as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw new UsageError(`FILE: ${unknown.map((k) => `"${k}"`).join(", ")}: not part of a policy skiff keeps (bindings, etag, version)`);
  if (version !== undefined && version !== 0 && version !== 1)
    throw new UsageError(`FILE: version: must be 1 (policies with conditions are not supported), got ${JSON.stringify(version)}`);
  if (etag !== undefined && typeof etag !== "string") throw new UsageError(`FILE: etag: must be a string, got ${JSON.stringify(etag)}`);
  if (!Array.isArray(bindings)) throw new UsageError("FILE: bindings: must be a list of { role, members }");
  bindings.forEach((b, i) => {
    if (b && typeof b === "object" && "condition" in b)
      throw new UsageError(`FILE: bindings[${i}].condition: conditional bindings are not supported`);
  });
  // The engine checks each role and member and names the one that is wrong.
  return { bindings: bindings as Binding[], ...(etag !== undefined ? { etag } : {}) };
}

function readPolicyFile(file: string): { bindings: Binding[]; etag?: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`FILE: cannot read "${file}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // Loaded here only: most commands never read YAML.
  const { parse } = require("yaml") as typeof import("yaml");
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new UsageError(`FILE: "${file}" is not YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  return parsePolicyFile(doc);
}
