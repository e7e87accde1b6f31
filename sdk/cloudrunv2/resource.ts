import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "../resources/resource";

/** A condition of a Service or Job as pulumi-gcp outputs it. */
export interface Condition {
  type: string;
  state: string;
  lastTransitionTime: string;
  message?: string;
  executionReason?: string;
}

/** The outputs pulumi-gcp's cloudrunv2 Service and Job both have about themselves, which the engine fills in. */
export const STATUS_OUTPUTS = [
  "terminalConditions",
  "conditions",
  "createTime",
  "updateTime",
  "generation",
  "observedGeneration",
  "reconciling",
] as const;

/** What cloudrunv2's Service and Job share: their name, projects, labels and the STATUS_OUTPUTS. */
export abstract class CloudRunV2Resource extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly location: pulumi.Output<string>;
  /** skiff's own project (namespace) the resource lives in. */
  declare readonly skiffProject: pulumi.Output<string>;
  declare readonly labels: pulumi.Output<Record<string, string> | undefined>;
  declare readonly terminalConditions: pulumi.Output<Condition[]>;
  declare readonly conditions: pulumi.Output<Condition[]>;
  declare readonly createTime: pulumi.Output<string>;
  declare readonly updateTime: pulumi.Output<string>;
  declare readonly generation: pulumi.Output<string>;
  declare readonly observedGeneration: pulumi.Output<string>;
  declare readonly reconciling: pulumi.Output<boolean>;
}
