/** `skiff.cloudrun`: pulumi-gcp's `gcp.cloudrun.DomainMapping`, run on the local engine. */
export {
  DomainMapping,
  type DomainMappingArgs,
  type DomainMappingMetadata,
  type DomainMappingSpec,
  type DomainMappingStatus,
} from "./domain-mapping";
