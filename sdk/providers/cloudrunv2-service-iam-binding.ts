import { checkIamBindingInputs } from "../check/cloudrunv2-iam";
import { diffIamBinding } from "../diff/cloudrunv2-iam";
import { memberSet, membersOf, targetOf, withRoleMembers, type IamInputs } from "../gcp/iam";
import { configure, type ProviderConfig } from "./engine";
import { compact } from "./errors";
import { editPolicy, iamId, readPolicy } from "./iam-policy";

/**
 * skiff.cloudrunv2.ServiceIamBinding's provider: authoritative for one role of a service's policy
 * (its members are exactly `members`; other roles are left alone). Delete takes the role out of
 * the policy; refresh reads its members back, and reports the resource gone when the role has none.
 */
interface IamBindingInputs extends IamInputs {
  role: string;
  members: string[];
}

async function setMembers(inputs: IamBindingInputs, action: string) {
  const target = targetOf(inputs, "service");
  const policy = await editPolicy(
    target,
    (b) => withRoleMembers(b, inputs.role, inputs.members),
    `${action} the ${inputs.role} members in`,
    "fail",
  );
  return { id: iamId(target, inputs.role), outs: compact({ ...inputs, etag: policy?.etag }) };
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkIamBindingInputs("service", news);
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffIamBinding("service", olds, news);
  },

  create(inputs: IamBindingInputs) {
    return setMembers(inputs, "setting");
  },

  async update(_id: string, _olds: IamBindingInputs, news: IamBindingInputs) {
    return { outs: (await setMembers(news, "updating")).outs };
  },

  async read(id: string, props: IamBindingInputs) {
    const policy = await readPolicy(targetOf(props, "service"));
    const members = policy ? membersOf(policy.bindings, props.role) : [];
    if (!policy || members.length === 0) return { id: "", props: {} };
    // Members as written while they are the same set; otherwise what the policy now says.
    const same = JSON.stringify(memberSet(props.members)) === JSON.stringify(members);
    return { id, props: compact({ ...props, members: same ? props.members : members, etag: policy.etag }) };
  },

  async delete(_id: string, props: IamBindingInputs) {
    await editPolicy(
      targetOf(props, "service"),
      (b) => withRoleMembers(b, props.role, []),
      `taking the ${props.role} binding out of`,
      "ignore",
    );
  },
};
