import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { reportFields, type Fields } from "./field-rules";
import { lookupSecret, secretKey, type SecretStore } from "./secrets";

/**
 * What the cloudrunv2/cloudrun resources do in the program's own process, where pulumi.log
 * reaches the CLI and the stack config and the program's folder are at hand: name the fields
 * without local meaning, and resolve secret envs. Nothing here is serialized into the state.
 */

/** One warning per resource naming every field it sets that has no local effect. */
export function warnFieldsWithoutLocalEffect(kind: string, name: string, args: object, rules: Fields, resource: pulumi.Resource): void {
  const { ignored, unknown } = reportFields(args, rules, (v) => pulumi.Output.isInstance(v));
  const parts: string[] = [];
  if (ignored.length > 0) parts.push(`accepted without local effect: ${ignored.join(", ")}`);
  if (unknown.length > 0) parts.push(`not known to skiff, ignored: ${unknown.join(", ")}`);
  // A warning is the engine's to show; its delivery is not awaited, as Pulumi's own calls of it are not.
  if (parts.length > 0) void pulumi.log.warn(`${kind} "${name}": ${parts.join("; ")}`, resource);
}

interface SecretRef {
  secret: string;
  version?: string;
}

/** `f` over a value that may be an Output, without unwrapping anything else it holds (an unknown image must not hide the envs). */
function lift<U>(value: unknown, f: (v: any) => pulumi.Input<U>): pulumi.Output<U> {
  if (pulumi.Output.isInstance(value)) return value.apply(f) as pulumi.Output<U>;
  if (value instanceof Promise) return pulumi.output(value).apply(f) as pulumi.Output<U>;
  return pulumi.output(f(value)) as pulumi.Output<U>;
}

const flat = <T>(lists: T[][]) => lists.flat();

/** The secretKeyRefs of the envs of the containers found along `path` in the arguments. */
function secretRefs(args: unknown, path: string[]): pulumi.Output<SecretRef[]> {
  const ofEnv = (env: unknown) =>
    lift<SecretRef[]>(env, (e) =>
      lift<SecretRef[]>(e?.valueSource, (source) =>
        lift<SecretRef[]>(source?.secretKeyRef, (ref) =>
          ref ? pulumi.all([ref.secret, ref.version]).apply(([secret, version]) => [{ secret, version: version ?? undefined }]) : [],
        ),
      ),
    );
  const ofContainer = (container: unknown) =>
    lift<SecretRef[]>(container, (c) =>
      lift<SecretRef[]>(c?.envs, (envs) => pulumi.all(Array.isArray(envs) ? envs.map(ofEnv) : []).apply(flat)),
    );
  const ofList = (list: unknown) => lift<SecretRef[]>(list, (l) => pulumi.all(Array.isArray(l) ? l.map(ofContainer) : []).apply(flat));
  const down = (value: unknown, rest: string[]): pulumi.Output<SecretRef[]> =>
    rest.length === 0 ? ofList(value) : lift<SecretRef[]>(value, (v) => down(v?.[rest[0]], rest.slice(1)));
  return down(args, path);
}

/**
 * The values of the secret envs the containers at `containersPath` name, as a Pulumi secret keyed by secretKey():
 * from stack config `skiff:secrets` (an object; `pulumi config set --secret --path
 * 'skiff:secrets.NAME' VALUE`), else from `skiff:secretsFile` (default skiff-secrets.json in the
 * program's folder). A secret found nowhere is left out: `check` then fails naming the env's path.
 */
export function resolveSecretEnvs(args: unknown, containersPath: string[]): pulumi.Output<Record<string, string>> {
  const config = new pulumi.Config("skiff");
  const fromConfig = config.getSecretObject<SecretStore>("secrets") ?? pulumi.output({});
  const file = config.get("secretsFile") ?? "skiff-secrets.json";
  const values = pulumi.all([secretRefs(args, containersPath), fromConfig]).apply(([refs, configStore]) => {
    if (refs.length === 0) return {};
    const store: SecretStore = { ...readSecretsFile(file), ...(configStore ?? {}) };
    const out: Record<string, string> = {};
    for (const ref of refs) {
      const value = lookupSecret(store, ref.secret, ref.version);
      if (value !== undefined) out[secretKey(ref.secret, ref.version)] = value;
    }
    return out;
  });
  return pulumi.secret(values);
}

function readSecretsFile(file: string): SecretStore {
  const full = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(full, "utf8");
  } catch {
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as SecretStore;
  } catch {
    // reported below
  }
  throw new Error(`skiff: the secrets file ${full} must be a JSON object of secret names to values (or to objects of versions)`);
}
