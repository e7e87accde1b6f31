import { translateJob } from "../gcp/job-spec";
import type { CheckOutcome } from "./result";

/** A cloudrunv2.Job's inputs stay in pulumi-gcp's shape (see cloudrunv2-service.ts); `check` validates their translation. */
export type GcpJobInputs = Record<string, unknown> & {
  name: string;
  skiffProject: string;
  runExecutionToken?: string;
  startExecutionToken?: string;
};

export function checkGcpJobInputs(news: Record<string, unknown>): CheckOutcome<GcpJobInputs> {
  return { inputs: news as GcpJobInputs, failures: translateJob(news).failures };
}
