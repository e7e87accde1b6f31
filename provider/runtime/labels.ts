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
  task: "skiff.task",
  attempt: "skiff.attempt",
  /** Who the container runs as: the metadata server's tokens are this account's. */
  serviceAccount: "skiff.service-account",
} as const;

export function instanceLabels(engineId: string, project: string, service: string, revision: string, instanceId: string, serviceAccount: string): Record<string, string> {
  return {
    [LABEL.managed]: "true",
    [LABEL.engine]: engineId,
    [LABEL.project]: project,
    [LABEL.service]: service,
    [LABEL.revision]: revision,
    [LABEL.instance]: instanceId,
    [LABEL.serviceAccount]: serviceAccount,
  };
}

export function taskLabels(engineId: string, project: string, job: string, execution: string, index: number, attempt: number, serviceAccount: string): Record<string, string> {
  return {
    [LABEL.managed]: "true",
    [LABEL.engine]: engineId,
    [LABEL.project]: project,
    [LABEL.job]: job,
    [LABEL.execution]: execution,
    [LABEL.task]: String(index),
    [LABEL.attempt]: String(attempt),
    [LABEL.serviceAccount]: serviceAccount,
  };
}
