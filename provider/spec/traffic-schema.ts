import { z } from "zod";
import { tagNameSchema } from "./names";

/** One traffic entry as Cloud Run v2 spells it. The rules across entries live in traffic.ts. */
export const trafficTargetSchema = z
  .object({
    type: z.enum(["LATEST", "REVISION"]).optional(),
    revision: z.string().min(1, "must not be empty").optional(),
    percent: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(0, "must be between 0 and 100")
      .max(100, "must be between 0 and 100")
      .default(0),
    tag: tagNameSchema.optional(),
  })
  .strict();

export type TrafficTargetInput = z.input<typeof trafficTargetSchema>;
export type TrafficTarget = z.output<typeof trafficTargetSchema>;
