import { z } from "zod";

/** What `GET /v1/engine` answers: where the running engine is and who it is. */
export const engineInfoSchema = z.object({
  engineId: z.string(),
  pid: z.number().int(),
  version: z.string(),
  apiPort: z.number().int(),
  ingressPort: z.number().int(),
  home: z.string(),
  startTime: z.string(),
});

export type EngineInfo = z.output<typeof engineInfoSchema>;
