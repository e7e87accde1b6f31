import { listFlag } from "./flags";
import type { Command } from "commander";

/**
 * gcloud's replication flags of `secrets create` (surface/secrets/create.py with
 * command_lib/secrets/args.py AddCreateReplicationPolicyGroup): `--replication-policy automatic`
 * (the default) or `user-managed` with `--locations R1,R2`, and `--kms-key-name` for an automatic
 * one. Where a value is stored means nothing on one machine, so they are only checked, with
 * gcloud's rules, so a script that passes here passes there and the reverse.
 */
export interface ReplicationFlags {
  replicationPolicy?: string;
  locations?: string[];
  kmsKeyName?: string;
}

export function withReplicationFlags(command: Command): Command {
  return command
    .option("--replication-policy <policy>", "automatic or user-managed (with --locations); no local effect")
    .option("--locations <location,...>", "where a user-managed secret is replicated; no local effect", listFlag)
    .option("--kms-key-name <key>", "the key of an automatic secret; no local effect");
}

/** Why gcloud would refuse these flags, in its words, or undefined. */
export function replicationProblem({ replicationPolicy, locations, kmsKeyName }: ReplicationFlags): string | undefined {
  if (replicationPolicy !== undefined && replicationPolicy !== "automatic" && replicationPolicy !== "user-managed")
    return `--replication-policy: "${replicationPolicy}" is invalid. Valid values are "automatic" and "user-managed".`;
  const given = locations !== undefined && locations.length > 0;
  if (replicationPolicy === "user-managed" && !given)
    return "--replication-policy: If --replication-policy is user-managed then --locations must also be provided.";
  if (replicationPolicy === "automatic" && given)
    return '--locations: If --replication-policy is "automatic" then --locations are not allowed.';
  if (replicationPolicy === undefined && given)
    return '--locations: Locations are only allowed when creating a secret with a "user-managed" replication policy (add --replication-policy user-managed).';
  if (replicationPolicy === "user-managed" && kmsKeyName !== undefined)
    return '--kms-key-name: The --kms-key-name flag can only be used when creating a secret with an "automatic" replication policy.';
  return undefined;
}
