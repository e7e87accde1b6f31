/** The labels on everything the engine creates: how it finds its own containers after a crash. */
export const LABEL = {
  managed: "skiff.managed",
  engine: "skiff.engine",
  project: "skiff.project",
  service: "skiff.service",
  revision: "skiff.revision",
  instance: "skiff.instance",
  /** Which container of its instance (or task) it is, when there are several; also on their shared volumes. */
  container: "skiff.container",
  job: "skiff.job",
  execution: "skiff.execution",
  task: "skiff.task",
  attempt: "skiff.attempt",
  /** An image the engine built from source for the SDK's Image resource: its name. */
  image: "skiff.image",
  /** Who the container runs as: the metadata server's tokens are this account's. */
  serviceAccount: "skiff.service-account",
} as const;

export function instanceLabels(
  engineId: string,
  project: string,
  service: string,
  revision: string,
  instanceId: string,
  serviceAccount: string,
): Record<string, string> {
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

export function taskLabels(
  engineId: string,
  project: string,
  job: string,
  execution: string,
  index: number,
  attempt: number,
  serviceAccount: string,
): Record<string, string> {
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

/** The instance an instance container's labels name (what instanceLabels wrote); undefined when one is missing. */
export function instanceOfLabels(
  labels: Record<string, string>,
): { project: string; service: string; revision: string; instance: string } | undefined {
  const [project, service, revision, instance] = [
    labels[LABEL.project],
    labels[LABEL.service],
    labels[LABEL.revision],
    labels[LABEL.instance],
  ];
  return project && service && revision && instance ? { project, service, revision, instance } : undefined;
}

/** One attempt of one task of an execution, as its container's labels name it. */
export interface TaskAttemptLabels {
  project: string;
  job: string;
  execution: string;
  task: number;
  attempt: number;
}

/** The task attempt a task container's labels name (what taskLabels wrote); undefined when one is missing. */
export function taskOfLabels(labels: Record<string, string>): TaskAttemptLabels | undefined {
  const [project, job, execution, task, attempt] = [
    labels[LABEL.project],
    labels[LABEL.job],
    labels[LABEL.execution],
    labels[LABEL.task],
    labels[LABEL.attempt],
  ];
  if (!project || !job || !execution || !/^\d+$/.test(task ?? "") || !/^\d+$/.test(attempt ?? "")) return undefined;
  return { project, job, execution, task: Number(task), attempt: Number(attempt) };
}
