import type { Secret } from "../../provider/model/secret";
import { checkGcpSecretInputs, type GcpSecretInputs } from "../check/secretmanager";
import { diffGcpSecret } from "../diff/secretmanager";
import { configure, type ProviderConfig } from "./engine";
import { compact } from "./errors";
import { secretCalls } from "./secret";

/** skiff.secretmanager.Secret's provider: pulumi-gcp's arguments, the engine's secret named `secretId`. */
export type GcpSecretOutputs = GcpSecretInputs & Record<string, unknown>;

const skiffShape = (inputs: GcpSecretInputs) => ({ name: inputs.secretId, project: inputs.skiffProject, labels: inputs.labels ?? {} });

/** `projects/<project>/secrets/<secretId>`, pulumi-gcp's id and (with the project's number there) name. */
const idOf = (inputs: GcpSecretInputs) => `projects/${String(inputs.project ?? inputs.skiffProject)}/secrets/${inputs.secretId}`;

function outputsOf(inputs: GcpSecretInputs, s: Secret): GcpSecretOutputs {
  return compact({ ...inputs, name: idOf(inputs), effectiveLabels: s.labels, createTime: s.createTime });
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },
  check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkGcpSecretInputs(news);
  },
  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffGcpSecret(olds, news);
  },
  async create(inputs: GcpSecretInputs) {
    return { id: idOf(inputs), outs: outputsOf(inputs, await secretCalls.create(skiffShape(inputs))) };
  },
  async update(_id: string, _olds: GcpSecretOutputs, news: GcpSecretInputs) {
    return { outs: outputsOf(news, await secretCalls.setLabels(skiffShape(news))) };
  },
  async read(id: string, props: GcpSecretOutputs) {
    const s = await secretCalls.read(props.skiffProject, props.secretId);
    if (!s) return { id: "", props: {} };
    const sameLabels = JSON.stringify(s.labels) === JSON.stringify(props.labels ?? {});
    return { id, props: outputsOf(sameLabels ? props : { ...props, labels: s.labels }, s) };
  },
  async delete(_id: string, props: GcpSecretOutputs) {
    await secretCalls.delete(props.skiffProject, props.secretId);
  },
};
