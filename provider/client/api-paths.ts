/**
 * An API path with every interpolated value %-encoded as one segment, so a name like
 * "../../other/services/x" stays a (refused) name and can never reach another project's path.
 */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((out, text, i) => out + text + (i < values.length ? encodeURIComponent(values[i]) : ""), "");
}

/** Paths of a service's and of a job's log, for logEntries. */
export const serviceLogPath = (project: string, service: string) => path`projects/${project}/services/${service}/logs`;
export const jobLogPath = (project: string, job: string) => path`projects/${project}/jobs/${job}/logs`;

export function logSearchParams(given: Record<string, string | undefined>, options: LogOptions): Record<string, string> {
  const searchParams: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) if (v) searchParams[k] = v;
  if (options.limit) searchParams.limit = String(options.limit);
  if (options.filter) searchParams.filter = options.filter;
  return searchParams;
}

export interface LogOptions {
  revision?: string;
  /** Only this container's lines (instances or tasks of several containers). */
  container?: string;
  limit?: number;
  /** Cloud Logging's filter language, the part log-filter.ts takes. */
  filter?: string;
  follow?: boolean;
  onChunk?: (text: string) => void;
}
