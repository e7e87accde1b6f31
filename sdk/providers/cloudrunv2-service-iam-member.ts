import { iamMemberProvider } from "./iam-member";

/** skiff.cloudrunv2.ServiceIamMember's provider: a member of a role in a service's policy. */
export const provider = iamMemberProvider("service");
