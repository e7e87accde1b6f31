import type { Secret } from "../../provider/model/secret";
import { keptName } from "../check/kept-name";
import { checkSecretInputs, type SecretInputs } from "../check/secret";
import { diffSecret } from "../diff/secret";
import { configure, engine, explain, isNotFound, type ProviderConfig } from "./engine";

/** The Secret resource's provider: the secret in the engine's Secret Manager (its versions are SecretVersion resources). */
export interface SecretOutputs extends SecretInputs {
  createTime: string;
}

const outputsOf = (inputs: SecretInputs, s: Secret): SecretOutputs => ({ ...inputs, createTime: s.createTime });

/** The engine calls both the skiff and the pulumi-gcp shaped Secret resources make. */
export const secretCalls = {
  async create(inputs: SecretInputs): Promise<Secret> {
    try {
      return await (await engine()).createSecret(inputs.project, inputs.name, undefined, inputs.labels);
    } catch (error) {
      throw explain(`creating secret "${inputs.name}" in project "${inputs.project}"`, error);
    }
  },
  async setLabels(inputs: SecretInputs): Promise<Secret> {
    try {
      return await (await engine()).setSecretLabels(inputs.project, inputs.name, inputs.labels);
    } catch (error) {
      throw explain(`updating secret "${inputs.name}"`, error);
    }
  },
  /** Undefined once it is gone. */
  async read(project: string, name: string): Promise<Secret | undefined> {
    try {
      return await (await engine()).getSecret(project, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw explain(`reading secret "${name}"`, error);
    }
  },
  async delete(project: string, name: string): Promise<void> {
    try {
      await (await engine()).deleteSecret(project, name);
    } catch (error) {
      if (!isNotFound(error)) throw explain(`deleting secret "${name}"`, error);
    }
  },
};

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },
  check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkSecretInputs(keptName(olds, news));
  },
  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffSecret(olds, news);
  },
  async create(inputs: SecretInputs) {
    return { id: inputs.name, outs: outputsOf(inputs, await secretCalls.create(inputs)) };
  },
  async update(_id: string, _olds: SecretOutputs, news: SecretInputs) {
    return { outs: outputsOf(news, await secretCalls.setLabels(news)) };
  },
  async read(id: string, props: SecretOutputs) {
    const s = await secretCalls.read(props.project, props.name ?? id);
    if (!s) return { id: "", props: {} };
    return { id, props: outputsOf({ name: s.name, project: s.project, labels: s.labels }, s) };
  },
  async delete(id: string, props: SecretOutputs) {
    await secretCalls.delete(props.project, props.name ?? id);
  },
};
