import { withMember, withoutMember } from "../../provider/model/iam";
import { checkIamMemberInputs } from "../check/cloudrunv2-iam";
import { diffIamMember } from "../diff/cloudrunv2-iam";
import { targetOf, type IamInputs, type IamKind } from "../gcp/iam";
import { configure, type ProviderConfig } from "./engine";
import { compact } from "./errors";
import { editPolicy, iamId, readPolicy } from "./iam-policy";

/**
 * cloudrunv2.ServiceIamMember and JobIamMember: one member in one role, next to whatever else the
 * policy holds (non-authoritative). Create adds the member, delete takes it out again, refresh
 * reports the resource gone once the member is no longer there. Every input replaces it (as in
 * pulumi-gcp), so there is no update.
 */
export interface IamMemberInputs extends IamInputs {
  role: string;
  member: string;
}

export function iamMemberProvider(kind: IamKind) {
  return {
    configure(config: ProviderConfig | undefined) {
      configure(config);
    },

    check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
      return checkIamMemberInputs(kind, news);
    },

    diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      return diffIamMember(kind, olds, news);
    },

    async create(inputs: IamMemberInputs) {
      const target = targetOf(inputs, kind);
      const policy = await editPolicy(
        target,
        (b) => withMember(b, inputs.role, inputs.member),
        `granting ${inputs.role} to ${inputs.member} in`,
        "fail",
      );
      return { id: iamId(target, inputs.role, inputs.member), outs: compact({ ...inputs, etag: policy?.etag }) };
    },

    async read(id: string, props: IamMemberInputs) {
      const policy = await readPolicy(targetOf(props, kind));
      const granted = policy?.bindings.some((b) => b.role === props.role && b.members.includes(props.member));
      if (!policy || !granted) return { id: "", props: {} };
      return { id, props: compact({ ...props, etag: policy.etag }) };
    },

    async delete(_id: string, props: IamMemberInputs) {
      await editPolicy(
        targetOf(props, kind),
        (b) => withoutMember(b, props.role, props.member),
        `taking ${props.role} from ${props.member} in`,
        "ignore",
      );
    },
  };
}
