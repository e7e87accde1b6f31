import { iamMemberProvider } from "./iam-member";

/** skiff.cloudrunv2.JobIamMember's provider: a member of a role in a job's policy. */
export const provider = iamMemberProvider("job");
