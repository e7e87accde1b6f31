import type { SecretVersion } from "../../provider/model/secret";
import { checkGcpSecretVersionInputs, type GcpSecretVersionInputs } from "../check/secretmanager";
import { diffGcpSecretVersion } from "../diff/secretmanager";
import { secretName } from "../gcp/secrets";
import { configure, type ProviderConfig } from "./engine";
import { compact } from "./errors";
import { versionCalls } from "./secret-version";

/**
 * skiff.secretmanager.SecretVersion's provider: one version of the secret `secret` names. On
 * delete, pulumi-gcp's `deletionPolicy`: DELETE (default) destroys the version, DISABLE disables
 * it, ABANDON leaves it.
 */
export type GcpSecretVersionOutputs = GcpSecretVersionInputs & { version: string } & Record<string, unknown>;

function outputsOf(inputs: GcpSecretVersionInputs, v: SecretVersion): GcpSecretVersionOutputs {
  return compact({
    ...inputs,
    name: `projects/${v.project}/secrets/${v.secret}/versions/${v.version}`,
    version: String(v.version),
    createTime: v.createTime,
    destroyTime: v.destroyTime,
  });
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },
  check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkGcpSecretVersionInputs(news);
  },
  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffGcpSecretVersion(olds, news);
  },
  async create(inputs: GcpSecretVersionInputs) {
    const value = Buffer.from(inputs.secretData, inputs.isSecretDataBase64 ? "base64" : "utf8");
    const v = await versionCalls.add(inputs.skiffProject, secretName(inputs.secret), value, inputs.enabled !== false);
    const outs = outputsOf(inputs, v);
    return { id: String(outs.name), outs };
  },
  async update(_id: string, olds: GcpSecretVersionOutputs, news: GcpSecretVersionInputs) {
    const v = await versionCalls.setEnabled(news.skiffProject, secretName(news.secret), Number(olds.version), news.enabled !== false);
    return { outs: outputsOf(news, v) };
  },
  async read(id: string, props: GcpSecretVersionOutputs) {
    const v = await versionCalls.read(props.skiffProject, secretName(props.secret), Number(props.version));
    if (!v) return { id: "", props: {} };
    const enabled = v.state === "ENABLED";
    return { id, props: outputsOf((props.enabled ?? true) === enabled ? props : { ...props, enabled }, v) };
  },
  async delete(_id: string, props: GcpSecretVersionOutputs) {
    const policy = props.deletionPolicy ?? "DELETE";
    if (policy === "ABANDON") return;
    await versionCalls.retire(
      props.skiffProject,
      secretName(props.secret),
      Number(props.version),
      policy === "DISABLE" ? "disable" : "destroy",
    );
  },
};
