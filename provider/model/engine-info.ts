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
  /** What the engine gives its containers: its network, and where its ingress, DNS and metadata server answer them. */
  containers: z
    .object({
      network: z.string(),
      gateway: z.string(),
      /** "gateway:53", or why service names do not resolve inside containers. */
      dns: z.string(),
      metadata: z.string(),
    })
    .optional(),
});

export type EngineInfo = z.output<typeof engineInfoSchema>;
