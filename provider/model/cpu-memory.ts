import type { z } from "zod";
import { parseCpuNanos, parseMemoryBytes } from "./quantity";

const MI = 1024 ** 2;
const GI = 1024 ** 3;
/** The CPU counts from 1 up that Cloud Run offers. */
const WHOLE_CPUS: readonly number[] = [1, 2, 4, 6, 8];

/** One broken rule: the field it is about (in the template) and why. */
export interface ResourceProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Cloud Run's pairing of an instance's CPU and memory (and, for a service, its concurrency), which
 * a deploy to Cloud Run refuses and a local run would not notice: above 1 CPU only 2, 4, 6 or 8, at
 * most 4Gi of memory per CPU and at least 2Gi with 4 CPUs and 4Gi with 6 or more; below 1 CPU at
 * most 512Mi (1Gi from 0.5 CPU) and, for a service, one request at a time. Values that do not parse
 * are left to the fields' own checks. `concurrency` is undefined for a job.
 */
export function resourceProblems(cpu: string, memory: string, concurrency: number | undefined): ResourceProblem[] {
  const cpuNanos = parseCpuNanos(cpu);
  const bytes = parseMemoryBytes(memory);
  if (cpuNanos === undefined || bytes === undefined) return [];
  const cpus = cpuNanos / 1e9;
  const problems: ResourceProblem[] = [];
  const memoryProblem = (message: string) => problems.push({ path: ["resources", "memory"], message: `${message}, got "${memory}"` });
  // Cloud Run's table of CPUs lists 1, 2, 4, 6 and 8; 3, 5 and 7 are no choice there.
  if (cpus > 1 && !WHOLE_CPUS.includes(cpus))
    problems.push({ path: ["resources", "cpu"], message: `above 1 must be 2, 4, 6 or 8 CPUs, got "${cpu}"` });
  if (cpus < 1) {
    const max = cpus < 0.5 ? 512 * MI : GI;
    if (bytes > max)
      memoryProblem(
        `must be at most ${cpus < 0.5 ? "512Mi" : "1Gi"} with cpu ${cpu} (more than 512Mi needs 0.5 CPU, more than 1Gi needs 1 CPU)`,
      );
    if (concurrency !== undefined && concurrency !== 1)
      problems.push({
        path: ["maxInstanceRequestConcurrency"],
        message: `must be 1 with cpu ${cpu}: an instance with less than 1 CPU serves one request at a time, got ${concurrency}`,
      });
    return problems;
  }
  if (bytes > 4 * GI * cpus) memoryProblem(`must be at most ${4 * cpus}Gi with cpu ${cpu} (4Gi per CPU)`);
  const min = cpus >= 6 ? 4 * GI : cpus >= 4 ? 2 * GI : 0;
  if (bytes < min) memoryProblem(`must be at least ${min / GI}Gi with cpu ${cpu}`);
  return problems;
}

/**
 * The template-level refinement: the rules for a one-container instance. With sidecars Cloud Run
 * lets each container's share be small and bounds the sum (checkContainers), so they are not applied.
 */
export function checkResources(
  t: { resources: { cpu: string; memory: string }; maxInstanceRequestConcurrency?: number; sidecars?: readonly unknown[] },
  ctx: z.RefinementCtx,
): void {
  if ((t.sidecars?.length ?? 0) > 0) return;
  for (const problem of resourceProblems(t.resources.cpu, t.resources.memory, t.maxInstanceRequestConcurrency))
    ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
}
