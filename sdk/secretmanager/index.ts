/** `skiff.secretmanager`: pulumi-gcp's `gcp.secretmanager.Secret` and `SecretVersion`, kept in skiff's own Secret Manager. */
export { Secret, SecretVersion, type SecretArgs, type SecretVersionArgs } from "./secret";
