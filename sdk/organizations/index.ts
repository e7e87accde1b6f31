/** `skiff.organizations`: pulumi-gcp's `gcp.organizations.getIAMPolicy`, the policyData a ServiceIamPolicy takes. */
export { getIAMPolicy, getIAMPolicyOutput, type GetIAMPolicyArgs, type GetIAMPolicyResult, type GetIAMPolicyBinding } from "./iam-policy";
