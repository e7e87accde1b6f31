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
  /** How the router reaches instances: "bridge" (their Docker network address) or "published" (127.0.0.1:<port>). */
  instanceAddressing: z.enum(["bridge", "published"]),
});

export type EngineInfo = z.output<typeof engineInfoSchema>;
