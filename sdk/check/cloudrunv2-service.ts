import { translateService } from "../gcp/service-spec";
import type { CheckOutcome } from "./result";

/**
 * A cloudrunv2.Service's inputs stay in pulumi-gcp's shape, as the user wrote them: that is what
 * `pulumi preview --diff` shows (a new image is `template.containers[0].image`), and with nothing
 * added there is no default to show up as a perpetual diff. `check` translates them to the
 * engine's model only to validate them there, naming the user's paths.
 */
export type GcpServiceInputs = Record<string, unknown> & { name: string; skiffProject: string };

export function checkGcpServiceInputs(news: Record<string, unknown>): CheckOutcome<GcpServiceInputs> {
  return { inputs: news as GcpServiceInputs, failures: translateService(news).failures };
}
