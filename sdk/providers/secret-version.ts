import type { SecretVersion } from "../../provider/model/secret";
import { checkSecretVersionInputs, type SecretVersionInputs } from "../check/secret";
import { diffSecretVersion } from "../diff/secret";
import { configure, engine, explain, isNotFound, type ProviderConfig } from "./engine";

/**
 * The SecretVersion resource's provider: one version of a secret, its value a Pulumi secret. The
 * value goes to the engine once, when the version is added, and is never read back (a refresh
 * keeps it as the state has it, encrypted). Deleting it destroys the version, as pulumi-gcp's
 * default deletion policy does.
 */
export interface SecretVersionOutputs extends SecretVersionInputs {
  version: number;
  state: SecretVersion["state"];
  createTime: string;
}

const outputsOf = (inputs: SecretVersionInputs, v: SecretVersion): SecretVersionOutputs => ({
  ...inputs,
  version: v.version,
  state: v.state,
  createTime: v.createTime,
});

/** What the skiff and the pulumi-gcp shaped SecretVersion resources ask of the engine. */
export const versionCalls = {
  async add(project: string, secret: string, value: Buffer, enabled: boolean): Promise<SecretVersion> {
    const where = `adding a version to secret "${secret}" in project "${project}"`;
    try {
      const client = await engine();
      const v = await client.addSecretVersion(project, secret, value);
      return enabled ? v : await client.changeSecretVersion(project, secret, String(v.version), "disable");
    } catch (error) {
      throw explain(where, error);
    }
  },
  async setEnabled(project: string, secret: string, version: number, enabled: boolean): Promise<SecretVersion> {
    try {
      return await (await engine()).changeSecretVersion(project, secret, String(version), enabled ? "enable" : "disable");
    } catch (error) {
      throw explain(`${enabled ? "enabling" : "disabling"} version ${version} of secret "${secret}"`, error);
    }
  },
  /** Undefined once it (or its secret) is gone or destroyed. */
  async read(project: string, secret: string, version: number): Promise<SecretVersion | undefined> {
    try {
      const v = await (await engine()).getSecretVersion(project, secret, String(version));
      return v.state === "DESTROYED" ? undefined : v;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw explain(`reading version ${version} of secret "${secret}"`, error);
    }
  },
  async retire(project: string, secret: string, version: number, action: "destroy" | "disable"): Promise<void> {
    try {
      await (await engine()).changeSecretVersion(project, secret, String(version), action);
    } catch (error) {
      if (!isNotFound(error))
        throw explain(`${action === "destroy" ? "destroying" : "disabling"} version ${version} of secret "${secret}"`, error);
    }
  },
};

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },
  check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkSecretVersionInputs(news);
  },
  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffSecretVersion(olds, news);
  },
  async create(inputs: SecretVersionInputs) {
    const v = await versionCalls.add(inputs.project, inputs.secret, Buffer.from(inputs.secretData, "utf8"), inputs.enabled);
    return { id: `${inputs.secret}/versions/${v.version}`, outs: outputsOf(inputs, v) };
  },
  async update(_id: string, olds: SecretVersionOutputs, news: SecretVersionInputs) {
    return { outs: outputsOf(news, await versionCalls.setEnabled(news.project, news.secret, olds.version, news.enabled)) };
  },
  async read(id: string, props: SecretVersionOutputs) {
    const v = await versionCalls.read(props.project, props.secret, props.version);
    if (!v) return { id: "", props: {} };
    return { id, props: outputsOf({ ...props, enabled: v.state === "ENABLED" }, v) };
  },
  async delete(_id: string, props: SecretVersionOutputs) {
    await versionCalls.retire(props.project, props.secret, props.version, "destroy");
  },
};
