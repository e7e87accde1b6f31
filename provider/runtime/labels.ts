/** The labels on everything the engine creates: how it finds its own containers after a crash. */
export const LABEL = {
  managed: "skiff.managed",
  engine: "skiff.engine",
  project: "skiff.project",
  service: "skiff.service",
  revision: "skiff.revision",
  instance: "skiff.instance",
  job: "skiff.job",
  execution: "skiff.execution",
} as const;

export function instanceLabels(engineId: string, project: string, service: string, revision: string, instanceId: string): Record<string, string> {
  return {
    [LABEL.managed]: "true",
    [LABEL.engine]: engineId,
    [LABEL.project]: project,
    [LABEL.service]: service,
    [LABEL.revision]: revision,
    [LABEL.instance]: instanceId,
  };
}
