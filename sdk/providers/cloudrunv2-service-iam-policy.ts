import { checkIamPolicyInputs } from "../check/cloudrunv2-iam";
import { diffIamPolicy } from "../diff/cloudrunv2-iam";
import { canonicalPolicyData, parsePolicyData, policyDataOf, targetOf, type IamInputs } from "../gcp/iam";
import { canonicalJson } from "../../provider/base/canonical-json";
import { configure, type ProviderConfig } from "./engine";
import { compact } from "./errors";
import { editPolicy, iamId, readPolicy } from "./iam-policy";

/**
 * skiff.cloudrunv2.ServiceIamPolicy's provider: authoritative for a service's whole policy. Delete
 * leaves the policy empty, as pulumi-gcp does on Cloud Run (it sets an empty policy): the service
 * is then private to everyone, not public again. Refresh writes a changed policy back as JSON.
 */
interface IamPolicyInputs extends IamInputs {
  policyData: string;
}

async function setPolicy(inputs: IamPolicyInputs, action: string) {
  const parsed = parsePolicyData(inputs.policyData);
  if (!parsed.bindings) throw new Error(`policyData: ${parsed.problem}`);
  const target = targetOf(inputs, "service");
  const policy = await editPolicy(target, () => parsed.bindings, `${action}`, "fail");
  return { id: iamId(target), outs: compact({ ...inputs, etag: policy?.etag }) };
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkIamPolicyInputs("service", news);
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffIamPolicy("service", olds, news);
  },

  create(inputs: IamPolicyInputs) {
    return setPolicy(inputs, "setting");
  },

  async update(_id: string, _olds: IamPolicyInputs, news: IamPolicyInputs) {
    return { outs: (await setPolicy(news, "updating")).outs };
  },

  async read(id: string, props: IamPolicyInputs) {
    const policy = await readPolicy(targetOf(props, "service"));
    if (!policy) return { id: "", props: {} };
    const asWritten = canonicalPolicyData(props.policyData) === canonicalJson(policy.bindings);
    return {
      id,
      props: compact({ ...props, policyData: asWritten ? props.policyData : policyDataOf(policy.bindings), etag: policy.etag }),
    };
  },

  async delete(_id: string, props: IamPolicyInputs) {
    await editPolicy(targetOf(props, "service"), () => [], "emptying", "ignore");
  },
};
