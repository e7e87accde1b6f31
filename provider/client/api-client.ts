import { z } from "zod";
import { checkHome } from "./home-check";
import { EngineHome, engineHome, readToken } from "../base/home";
import { ApiTransport } from "./http-transport";
import { runningEngine, startDetached } from "./launcher";
import { logSearchParams, path, type LogOptions } from "./api-paths";
import { BuildFailureError, EngineError, EngineUnreachableError, errorOf, safeJson, type BuildFailure } from "./engine-errors";
import type { ExecutionOverrides, JobSpecInput } from "../model/job";
import { bindingSchema, type Binding } from "../model/iam";
import { localImageSchema, revisionSchema } from "../model/revision";
import type { CreateSecretBody } from "../model/secret";
import type { MapBody, MappingKind } from "../model/volume-mapping";
import { serviceSchema, type ServiceSpecInput } from "../model/service";
import type { BuildRequestInput, BuildResult } from "../model/source-build";
import type { ServiceTemplateInput } from "../model/template";
import type { TrafficTargetInput } from "../model/traffic";
import type { TrafficUpdate } from "../model/traffic-update";

// The client's errors and its paths live beside it (engine-errors.ts, api-paths.ts); callers import them from here.
export { BuildFailureError, EngineError, EngineUnreachableError } from "./engine-errors";
export { jobLogPath, serviceLogPath, type LogOptions } from "./api-paths";

export interface ConnectOptions {
  home?: EngineHome;
  /** Start the engine (detached) when it is not running. */
  autostart?: boolean;
  startFlags?: string[];
}

// The answers' schemas of jobs, secrets, domain mappings, volume mappings, builds and the engine
// itself are built when a call first needs them, not with this module: a CLI call then pays for its
// own answers' zod schemas only (SPEC §8: a command's start-up ≤ 2.5× `node -e 0`). Services' and
// revisions' are built at once: most calls need them, and their templates' schemas are shared.
const domainMappingModel = () => require("../model/domain-mapping") as typeof import("../model/domain-mapping");
const engineInfoModel = () => require("../model/engine-info") as typeof import("../model/engine-info");
const jobModel = () => require("../model/job") as typeof import("../model/job");
const secretModel = () => require("../model/secret") as typeof import("../model/secret");
const volumeMappingModel = () => require("../model/volume-mapping") as typeof import("../model/volume-mapping");
const sourceBuildModel = () => require("../model/source-build") as typeof import("../model/source-build");

const deployAnswerSchema = z.object({ service: serviceSchema, revision: revisionSchema.optional() });
const policyAnswerSchema = z.object({ bindings: z.array(bindingSchema), etag: z.string() });
const identityTokenSchema = z.object({ email: z.string(), token: z.string() });
const deletedSchema = z.object({ deleted: z.string() });

/** What has an IAM policy, and the API collection it lives in. */
export type PolicyOwner = "service" | "job" | "secret";
const POLICY_COLLECTION: Record<PolicyOwner, string> = { service: "services", job: "jobs", secret: "secrets" };

type Method = "GET" | "PUT" | "POST" | "PATCH" | "DELETE";

/**
 * The thin admin API client the CLI and the Pulumi SDK share; answers are validated with the
 * engine's own zod schemas, so a drift between the two halves fails loudly.
 */
export class EngineClient {
  private constructor(
    private readonly http: ApiTransport,
    readonly apiPort: number,
    readonly ingressPort: number,
    private readonly home: EngineHome,
  ) {}

  static async connect(options: ConnectOptions = {}): Promise<EngineClient> {
    const home = options.home ?? engineHome();
    checkHome(home);
    let engine = runningEngine(home);
    if (!engine && options.autostart) engine = await startDetached(home, { flags: options.startFlags });
    if (!engine) throw new EngineUnreachableError(`the skiff engine is not running (home ${home.root}); start it with: skiff engine start`);
    const token = readToken(home);
    if (!token) throw new EngineUnreachableError(`no token in ${home.token}; restart the engine with: skiff engine start`);
    return new EngineClient(new ApiTransport(engine.apiPort, token), engine.apiPort, engine.ingressPort, home);
  }

  /**
   * A call that got no answer. When the engine has stopped since this client connected (a
   * long-lived client such as the Pulumi provider outlives it), saying so, with how to start it
   * again, beats a bare "socket hang up" or "ECONNREFUSED".
   */
  private unreachable(error: unknown): EngineUnreachableError {
    const cause = (error as Error).message;
    if (!runningEngine(this.home))
      return new EngineUnreachableError(
        `the skiff engine stopped (home ${this.home.root}; the call got: ${cause}); start it again with: skiff engine start`,
      );
    return new EngineUnreachableError(`the skiff engine on 127.0.0.1:${this.apiPort} did not answer: ${cause}`);
  }

  async call<S extends z.ZodTypeAny>(
    method: Method,
    path: string,
    schema: S,
    body?: unknown,
    searchParams?: Record<string, string>,
  ): Promise<z.output<S>> {
    let response;
    try {
      response = await this.http.request(method, path, body, searchParams);
    } catch (error) {
      throw this.unreachable(error);
    }
    const parsed = safeJson(response.body);
    if (response.status >= 400) throw errorOf(response.status, parsed, response.body);
    // Without zod's generated fast path: a client checks a few answers per process, and generating and
    // compiling that code for an answer's schema costs more than parsing it once without (~3 ms of a
    // CLI call's start-up, SPEC §8).
    const result = schema.safeParse(parsed, { jitless: true });
    if (!result.success)
      throw new EngineError(500, "INTERNAL", `unexpected answer from the engine for ${method} ${path}: ${result.error.message}`);
    return result.data;
  }

  engineInfo() {
    return this.call("GET", "engine", engineInfoModel().engineInfoSchema);
  }
  shutdown() {
    return this.call("POST", "engine/shutdown", z.unknown());
  }

  listServices(project: string) {
    return this.call("GET", path`projects/${project}/services`, z.object({ services: z.array(serviceSchema) })).then((r) => r.services);
  }
  getService(project: string, name: string) {
    return this.call("GET", path`projects/${project}/services/${name}`, serviceSchema);
  }
  /** Creates or updates a service; with expectedGeneration the engine refuses (409) a change based on a stale read. */
  putService(
    project: string,
    name: string,
    spec: ServiceSpecInput,
    options: { noTraffic?: boolean; tag?: string; expectedGeneration?: number; revisionSuffix?: string; async?: boolean } = {},
  ) {
    const params: Record<string, string> = {};
    if (options.noTraffic) params.noTraffic = "true";
    if (options.tag) params.tag = options.tag;
    if (options.revisionSuffix !== undefined) params.revisionSuffix = options.revisionSuffix;
    if (options.async) params.async = "true";
    if (options.expectedGeneration !== undefined) params.expectedGeneration = String(options.expectedGeneration);
    return this.call("PUT", path`projects/${project}/services/${name}`, deployAnswerSchema, spec, params);
  }
  deleteService(project: string, name: string) {
    return this.call("DELETE", path`projects/${project}/services/${name}`, deletedSchema);
  }
  setTraffic(project: string, service: string, traffic: TrafficTargetInput[]) {
    return this.call("PUT", path`projects/${project}/services/${service}/traffic`, serviceSchema, { traffic });
  }
  /** update-traffic's flags, applied by the engine with gcloud's semantics (provider/model/traffic-update.ts). */
  updateTraffic(project: string, service: string, update: TrafficUpdate) {
    return this.call("PATCH", path`projects/${project}/services/${service}/traffic`, serviceSchema, update);
  }
  /** A candidate revision (no traffic); `revisionSuffix` names it `<service>-<suffix>`. */
  createRevision(project: string, service: string, template: ServiceTemplateInput, options: { revisionSuffix?: string } = {}) {
    return this.call("POST", path`projects/${project}/services/${service}/revisions`, revisionSchema, {
      template,
      revisionSuffix: options.revisionSuffix,
    });
  }
  /** The id of an image Docker has locally (what a revision made now would pin); a 404 when it would have to be pulled. */
  localImage(image: string) {
    return this.call("GET", "images", localImageSchema, undefined, { ref: image });
  }
  listRevisions(project: string, service?: string) {
    return this.call(
      "GET",
      path`projects/${project}/revisions`,
      z.object({ revisions: z.array(revisionSchema) }),
      undefined,
      service ? { service } : undefined,
    ).then((r) => r.revisions);
  }
  /** With waitSeconds the engine answers once the revision is READY or FAILED, or after that long. */
  getRevision(project: string, name: string, waitSeconds?: number) {
    return this.call(
      "GET",
      path`projects/${project}/revisions/${name}`,
      revisionSchema,
      undefined,
      waitSeconds === undefined ? undefined : { wait: String(waitSeconds) },
    );
  }
  deleteRevision(project: string, name: string) {
    return this.call("DELETE", path`projects/${project}/revisions/${name}`, deletedSchema);
  }
  listDomainMappings(project: string) {
    return this.call(
      "GET",
      path`projects/${project}/domainmappings`,
      z.object({ domainMappings: z.array(domainMappingModel().domainMappingSchema) }),
    ).then((r) => r.domainMappings);
  }
  getDomainMapping(project: string, domain: string) {
    return this.call("GET", path`projects/${project}/domainmappings/${domain}`, domainMappingModel().domainMappingSchema);
  }
  createDomainMapping(project: string, domain: string, service: string, forceOverride = false) {
    const body = forceOverride ? { domain, service, forceOverride } : { domain, service };
    return this.call("POST", path`projects/${project}/domainmappings`, domainMappingModel().domainMappingSchema, body);
  }
  deleteDomainMapping(project: string, domain: string) {
    return this.call("DELETE", path`projects/${project}/domainmappings/${domain}`, deletedSchema);
  }

  listJobs(project: string) {
    return this.call("GET", path`projects/${project}/jobs`, z.object({ jobs: z.array(jobModel().jobSchema) })).then((r) => r.jobs);
  }
  getJob(project: string, name: string) {
    return this.call("GET", path`projects/${project}/jobs/${name}`, jobModel().jobSchema);
  }
  /** mode "create" refuses an existing job (409), "update" a missing one (404). */
  putJob(project: string, name: string, spec: JobSpecInput, options: { mode?: "create" | "update"; expectedGeneration?: number } = {}) {
    const params: Record<string, string> = {};
    if (options.mode) params.mode = options.mode;
    if (options.expectedGeneration !== undefined) params.expectedGeneration = String(options.expectedGeneration);
    return this.call("PUT", path`projects/${project}/jobs/${name}`, jobModel().jobSchema, spec, params);
  }
  deleteJob(project: string, name: string) {
    return this.call("DELETE", path`projects/${project}/jobs/${name}`, deletedSchema);
  }
  executeJob(project: string, job: string, overrides: ExecutionOverrides = {}) {
    return this.call("POST", path`projects/${project}/jobs/${job}/executions`, jobModel().executionSchema, { overrides });
  }
  listExecutions(project: string, job?: string) {
    return this.call(
      "GET",
      path`projects/${project}/executions`,
      z.object({ executions: z.array(jobModel().executionSchema) }),
      undefined,
      job ? { job } : undefined,
    ).then((r) => r.executions);
  }
  /** With waitSeconds the engine answers once the execution has finished, or after that long. */
  getExecution(project: string, name: string, waitSeconds?: number) {
    return this.call(
      "GET",
      path`projects/${project}/executions/${name}`,
      jobModel().executionSchema,
      undefined,
      waitSeconds === undefined ? undefined : { wait: String(waitSeconds) },
    );
  }
  cancelExecution(project: string, name: string) {
    return this.call("POST", path`projects/${project}/executions/${name}/cancel`, jobModel().executionSchema);
  }
  /** Forgets a finished execution (a running one is refused: cancel it first); its log lines stay in the job's log. */
  deleteExecution(project: string, name: string) {
    return this.call("DELETE", path`projects/${project}/executions/${name}`, deletedSchema);
  }

  /** A service's or job's IAM policy, with the etag to send back when changing it. */
  getPolicy(project: string, kind: PolicyOwner, name: string) {
    return this.call("GET", path`projects/${project}/${POLICY_COLLECTION[kind]}/${name}/iamPolicy`, policyAnswerSchema);
  }
  /** Sets the policy whole; with the etag it was read with, a change made meanwhile by someone else is a 409. */
  setPolicy(project: string, kind: PolicyOwner, name: string, bindings: Binding[], etag?: string) {
    return this.call("PUT", path`projects/${project}/${POLICY_COLLECTION[kind]}/${name}/iamPolicy`, policyAnswerSchema, {
      bindings,
      etag,
    });
  }
  /** An identity token signed by the engine: the owner's, or a service account's; for `audience` (a service URL). */
  /** A one-time login URL for the console (api/console.ts). */
  consoleLogin() {
    return this.call("POST", "console/logins", z.object({ url: z.string(), expiresAt: z.string() }), {});
  }

  identityToken(options: { audience?: string; serviceAccount?: string } = {}) {
    return this.call("POST", "identityTokens", identityTokenSchema, options);
  }

  listSecrets(project: string) {
    return this.call("GET", path`projects/${project}/secrets`, z.object({ secrets: z.array(secretModel().secretSchema) })).then(
      (r) => r.secrets,
    );
  }
  getSecret(project: string, name: string) {
    return this.call("GET", path`projects/${project}/secrets/${name}`, secretModel().secretSchema);
  }
  /** With `value`, its first version is added in the same change. */
  createSecret(project: string, name: string, value?: Buffer, labels?: Record<string, string>) {
    const body: CreateSecretBody = { name, labels, data: value?.toString("base64") };
    return this.call("POST", path`projects/${project}/secrets`, secretModel().secretSchema, body);
  }
  setSecretLabels(project: string, name: string, labels: Record<string, string>) {
    return this.call("PATCH", path`projects/${project}/secrets/${name}`, secretModel().secretSchema, { labels });
  }
  deleteSecret(project: string, name: string) {
    return this.call("DELETE", path`projects/${project}/secrets/${name}`, deletedSchema);
  }
  listSecretVersions(project: string, secret: string) {
    return this.call(
      "GET",
      path`projects/${project}/secrets/${secret}/versions`,
      z.object({ versions: z.array(secretModel().secretVersionSchema) }),
    ).then((r) => r.versions);
  }
  /** `version`: a number or "latest". */
  getSecretVersion(project: string, secret: string, version: string) {
    return this.call("GET", path`projects/${project}/secrets/${secret}/versions/${version}`, secretModel().secretVersionSchema);
  }
  addSecretVersion(project: string, secret: string, value: Buffer) {
    return this.call("POST", path`projects/${project}/secrets/${secret}/versions`, secretModel().secretVersionSchema, {
      data: value.toString("base64"),
    });
  }
  /** The value of an enabled version: the one call that returns one. */
  async accessSecretVersion(project: string, secret: string, version: string): Promise<{ version: number; value: Buffer }> {
    const answer = await this.call(
      "GET",
      path`projects/${project}/secrets/${secret}/versions/${version}/access`,
      secretModel().secretAccessSchema,
    );
    return { version: answer.version, value: Buffer.from(answer.data, "base64") };
  }
  changeSecretVersion(project: string, secret: string, version: string, action: "enable" | "disable" | "destroy") {
    return this.call(
      "POST",
      `${path`projects/${project}/secrets/${secret}/versions/${version}`}/${action}`,
      secretModel().secretVersionSchema,
    );
  }

  /** What buckets, NFS exports or Cloud SQL instances stand for on this machine. */
  listMappings(kind?: MappingKind) {
    return this.call(
      "GET",
      kind ? path`mappings/${kind}` : "mappings",
      z.object({ mappings: z.array(volumeMappingModel().volumeMappingSchema) }),
    ).then((r) => r.mappings);
  }
  putMapping(kind: MappingKind, name: string, body: MapBody) {
    return this.call("PUT", path`mappings/${kind}/${name}`, volumeMappingModel().volumeMappingSchema, body);
  }
  deleteMapping(kind: MappingKind, name: string) {
    return this.call("DELETE", path`mappings/${kind}/${name}`, deletedSchema);
  }

  /**
   * Builds a directory into an image (the engine reads it: it runs on this machine); each output
   * line goes to onProgress. A failed build rejects with a BuildFailureError carrying its step and last lines.
   */
  async buildSource(
    project: string,
    request: BuildRequestInput,
    onProgress: (line: string) => void = () => undefined,
  ): Promise<BuildResult> {
    let result: BuildResult | undefined;
    let failure: BuildFailure | undefined;
    let answer;
    try {
      answer = await this.http.postLines(path`projects/${project}/builds`, request, (line) => {
        const event = sourceBuildModel().buildEventSchema.safeParse(safeJson(line));
        if (!event.success) return;
        if ("progress" in event.data) onProgress(event.data.progress);
        else if ("result" in event.data) result = event.data.result;
        else failure = event.data.failure;
      });
    } catch (error) {
      throw this.unreachable(error);
    }
    if (answer.status >= 400) throw errorOf(answer.status, safeJson(answer.body), answer.body);
    if (failure) throw new BuildFailureError(failure);
    if (!result) throw new EngineError(500, "INTERNAL", "the engine's build answer ended without a result");
    return result;
  }

  /** A revision's running instances and their addresses on the engine's network (for a debugger). */
  revisionInstances(project: string, revision: string) {
    const schema = z.object({ instances: z.array(z.object({ instance: z.string(), address: z.string().optional() })) });
    return this.call("GET", path`projects/${project}/revisions/${revision}/instances`, schema).then((r) => r.instances);
  }

  /** The image a build of these sources would make (its content hash names it), and its id if Docker has it: nothing is built. */
  planBuild(project: string, request: BuildRequestInput) {
    return this.call("POST", path`projects/${project}/builds`, sourceBuildModel().buildPlanSchema, request, { plan: "true" });
  }

  /** Removes the images the engine built for a service (or job, or Image resource); waits while its containers stop. */
  removeBuiltImages(project: string, name: string, kind: "service" | "job" | "image" = "service") {
    return this.call("DELETE", path`projects/${project}/builds/${name}`, z.object({ removed: z.number(), inUse: z.number() }), undefined, {
      kind,
    });
  }

  /** Log lines as text; with follow the stream stays open and each chunk goes to onChunk. */
  async logs(project: string, service: string, options: LogOptions = {}): Promise<string> {
    return this.readLogs(
      path`projects/${project}/services/${service}/logs`,
      { revision: options.revision, container: options.container },
      options,
    );
  }

  /** A job's task output, each line with its execution, task index and attempt. */
  async jobLogs(project: string, job: string, options: LogOptions & { execution?: string } = {}): Promise<string> {
    return this.readLogs(
      path`projects/${project}/jobs/${job}/logs`,
      { execution: options.execution, container: options.container },
      options,
    );
  }

  /** Log lines as Cloud Logging entries (what `logs read --format json` prints). */
  async logEntries(
    logsPath: string,
    options: LogOptions & { revision?: string; execution?: string } = {},
  ): Promise<Record<string, unknown>[]> {
    const answer = await this.call(
      "GET",
      logsPath,
      z.object({ lines: z.array(z.record(z.string(), z.unknown())) }),
      undefined,
      logSearchParams({ revision: options.revision, execution: options.execution, container: options.container, view: "entries" }, options),
    );
    return answer.lines;
  }

  private async readLogs(logsPath: string, filter: Record<string, string | undefined>, options: LogOptions): Promise<string> {
    const searchParams = logSearchParams(filter, options);
    if (!options.follow) {
      const answer = await this.call("GET", logsPath, z.object({ lines: z.array(z.string()) }), undefined, searchParams);
      return answer.lines.join("\n");
    }
    searchParams.follow = "true";
    let answer;
    try {
      answer = await this.http.stream(logsPath, searchParams, (text) => options.onChunk?.(text));
    } catch (error) {
      throw this.unreachable(error);
    }
    if (answer.status >= 400) throw errorOf(answer.status, safeJson(answer.body), answer.body);
    return "";
  }
}
