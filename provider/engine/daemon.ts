import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import type net from "node:net";
import { cpus } from "node:os";
import { cloudRunApiRoutes, cloudRunApiSurface } from "../api/cloud-run-apis";
import { buildRoutes } from "../api/build-routes";
import { identityRoutes } from "../api/identity-routes";
import { Operations } from "../api/operations";
import { secretRoutes } from "../api/secret-routes";
import { ConsoleSessions, consoleRoutes } from "../api/console";
import { metricsRoute } from "../api/metrics-route";
import { apiRoutes } from "../api/routes";
import { createApiServer, type Route } from "../api/server";
import { systemClock, type Clock } from "../base/clock";
import { EngineFile, EngineHome, ensureHome, processAlive } from "../base/home";
import { rotatingEngineLog, stdoutIsFile } from "../base/engine-log";
import { lineLogger, type Logger } from "../base/logger";
import { version } from "../base/version";
import { DomainController } from "../controller/domain-controller";
import { PolicyController } from "../controller/policy-controller";
import { RoutePublisher } from "../controller/route-publisher";
import { InstanceController, type ScalingSettings } from "../controller/instance-controller";
import { JobController } from "../controller/job-controller";
import { MappingController } from "../controller/mapping-controller";
import { SecretController } from "../controller/secret-controller";
import { ServiceController } from "../controller/service-controller";
import { SourceBuilds } from "../controller/source-builds";
import { AccessGate } from "../identity/access-gate";
import { jwks, loadOrCreateSigningKey } from "../identity/signing-key";
import { ownerEmail } from "../identity/tokens";
import { SkiffError } from "../model/errors";
import { CloudSqlProxies } from "../platform/cloudsql-proxy";
import { startContainerPlatform, type ContainerPlatform } from "../platform/container-platform";
import { cloudSqlTarget, VolumeHost } from "../platform/volume-host";
import { Ingress } from "../router/ingress";
import { RoutingTable } from "../router/routing-table";
import type { ContainerRuntime, InstanceAddressing } from "../runtime/container-runtime";
import { DockerRuntime } from "../runtime/docker-runtime";
import { DockerImageBuilder } from "../runtime/image-builder";
import { LABEL } from "../runtime/labels";
import { DEFAULT_LOG_CAP_BYTES, DEFAULT_REGION } from "../base/defaults";
import { ThreadedLogs } from "../logs/threaded-logs";
import { DEFAULT_AUTOSCALER_SETTINGS, tickFor } from "../scaling/autoscaler";
import { RevisionThrottlers } from "../scaling/revision-throttlers";
import { Store } from "../state/store";
import { jobResults } from "../telemetry/job-results";
import { EngineMetrics } from "../telemetry/metrics";
import { RequestTelemetry } from "../telemetry/request-telemetry";

export interface EngineSettings {
  /** Autoscaler windows and grace: short in tests, Cloud Run's defaults otherwise. */
  scaling: ScalingSettings;
  /** Cap of each service's captured log (current file plus one rotated file). */
  logCapBytes: number;
  /** Client addresses whose X-Forwarded-* headers the ingress keeps (a proxy in front of it). */
  trustedProxies: string[];
  /** How the router reaches instances; "auto" probes once at start (bridge where the host routes to it). */
  instanceAddress: "auto" | InstanceAddressing;
  /** The region the metadata server names (Cloud Run's instance/region). */
  region: string;
  /**
   * The Cloud Run APIs (/v2/, /apis/) take any bearer token from loopback besides the engine's
   * (`--api-allow-any-token`), for clients that can only send Google credentials.
   */
  apiAllowAnyToken: boolean;
  /** Request log entries and request metrics (off with `engine start --no-request-logs`). */
  requestLogs: boolean;
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  scaling: { ...DEFAULT_AUTOSCALER_SETTINGS, tickMs: tickFor(DEFAULT_AUTOSCALER_SETTINGS.panicWindowMs) },
  logCapBytes: DEFAULT_LOG_CAP_BYTES,
  trustedProxies: [],
  instanceAddress: "auto",
  region: DEFAULT_REGION,
  apiAllowAnyToken: false,
  requestLogs: true,
};

export interface DaemonOptions {
  home: EngineHome;
  ingressPort: number;
  apiPort: number;
  settings?: EngineSettings;
  log?: Logger;
  runtime?: ContainerRuntime;
  clock?: Clock;
}

export interface RunningDaemon {
  file: EngineFile;
  /** Resolves when the daemon has stopped (shutdown request or signal). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The engine: state, runtime, controllers, ingress and admin API, wired together. Stopping it
 * leaves its containers running; the next start re-adopts them.
 */
export async function runDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { home } = options;
  // Detached (stdout is engine.log), the daemon writes engine.log itself, rotating it; in the foreground, to stdout.
  const log = options.log ?? lineLogger(stdoutIsFile(home.engineLog) ? rotatingEngineLog(home.engineLog) : undefined);
  const settings = options.settings ?? DEFAULT_ENGINE_SETTINGS;
  ensureHome(home);
  const releaseLock = takeLock(home);
  guardProcess(log);
  try {
    const token = ensureToken(home);
    const runtime = options.runtime ?? new DockerRuntime({ serviceLogCapBytes: settings.logCapBytes });
    if (runtime instanceof DockerRuntime) await runtime.ping();
    const store = Store.open(home.stateDb, home.secretsKey);
    const engineId = store.engineId();
    const key = loadOrCreateSigningKey(home.signingKey);
    const owner = ownerEmail();
    const routes = new RoutingTable();
    const throttlers = new RevisionThrottlers();
    const apiRouteList: Route[] = [];
    const cloudRunRouteList: Route[] = [];
    const ingress = new Ingress(
      routes,
      throttlers,
      log,
      new Set(settings.trustedProxies),
      new AccessGate(key, new Set([owner])),
      async (address) => (await runtime.containerAt(address))?.labels[LABEL.project],
    );
    let apiPortNow = 0;
    const consoleSessions = new ConsoleSessions(() => apiPortNow, token);
    const api = createApiServer(
      apiRouteList,
      token,
      log,
      new Map([["/.well-known/jwks.json", () => jwks(key)]]),
      [cloudRunApiSurface(cloudRunRouteList, settings.apiAllowAnyToken)],
      (req, res) => consoleSessions.handle(req, res),
    );
    const ingressPort = await listen(ingress.server, options.ingressPort, "ingress", "--ingress-port");
    const apiPort = await listen(api, options.apiPort, "admin API", "--api-port").catch(async (error) => {
      await close(ingress.server, () => ingress.closeConnections());
      throw error;
    });
    apiPortNow = apiPort;

    const network = await runtime.ensureNetwork(engineId);
    const addressing: InstanceAddressing =
      settings.instanceAddress !== "auto" ? settings.instanceAddress : (await runtime.bridgeReachable(network)) ? "bridge" : "published";
    // Where the host routes to the engine's network (Linux), the engine serves its containers on its
    // gateway: the ingress (service URLs), the DNS and the metadata server. Elsewhere (Docker
    // Desktop) containers still run; service URLs do not resolve inside them.
    let platform: ContainerPlatform | undefined;
    if (await runtime.bridgeReachable(network)) {
      try {
        await listen(ingress.bridgeServer, ingressPort, "ingress", "--ingress-port", network.gateway);
        platform = await startContainerPlatform({
          runtime,
          network,
          store,
          key,
          isMappedDomain: (domain) => routes.hasDomain(domain),
          region: settings.region,
          log,
        });
      } catch (error) {
        log.warn("the engine does not serve its containers on its network", { network: network.name, error: (error as Error).message });
      }
    }
    const logs = new ThreadedLogs({ dir: home.logsDir, capBytes: settings.logCapBytes }, (message) =>
      log.warn("log capture", { error: message }),
    );
    const cloudSql = new CloudSqlProxies(home.socketsDir, (name) => cloudSqlTarget(store, name), log);
    const volumes = new VolumeHost({ home, store, proxies: cloudSql, log });
    const metrics = new EngineMetrics({ revisions: () => instances.snapshot(), jobs: () => jobResults(store.jobs) });
    const telemetry = new RequestTelemetry(logs, metrics);
    if (settings.requestLogs) ingress.observeRequests(telemetry);
    const instances = new InstanceController({
      store,
      runtime,
      addressing,
      engineId,
      logs,
      volumes,
      log,
      throttlers,
      clock: options.clock ?? systemClock,
      scaling: settings.scaling,
      hostCpus: cpus().length,
      onInstanceReady: (rev, startupMs) => metrics.instanceReady(rev, startupMs),
    });
    const publisher = new RoutePublisher({ store, routes, instances, ingressPort });
    const services = new ServiceController({ store, runtime, instances, routes, publisher, logs, log, ingressPort });
    const domains = new DomainController(store, routes, ingressPort);
    const jobs = new JobController({
      store,
      runtime,
      volumes,
      logs,
      log,
      clock: options.clock ?? systemClock,
      engineId,
      hostCpus: cpus().length,
    });
    const secrets = new SecretController(store, (project, secret) => volumes.secretChanged(project, secret));
    // Requests that arrive meanwhile wait at the ingress: a live service never answers 404 because
    // the engine has not re-adopted its instances yet.
    await instances.adopt();
    await jobs.resume();
    // Every live container has its folder again: the others' go.
    volumes.sweep();
    services.failInterruptedRevisions();
    publisher.publishAll();
    instances.start();
    ingress.open();

    const file: EngineFile = { pid: process.pid, apiPort, ingressPort, engineId, version, startTime: new Date().toISOString() };
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        log.info("engine stopping; containers keep running for the next start");
        instances.stop();
        jobs.stop();
        platform?.close();
        cloudSql.close();
        await Promise.all([
          close(api, () => api.closeAllConnections()),
          close(ingress.server, () => ingress.closeConnections()),
          ingress.bridgeServer.listening ? close(ingress.bridgeServer, () => ingress.closeConnections()) : Promise.resolve(),
        ]);
        telemetry.flush();
        await logs.close();
        store.close();
        await releaseNetwork(runtime, engineId, log);
        rmSync(home.engineJson, { force: true });
        releaseLock();
        resolveStopped();
      })());
    const containers = platform && {
      network: platform.network.name,
      gateway: platform.network.gateway,
      dns: platform.dns,
      metadata: platform.metadata,
    };
    const policies = new PolicyController({ store, services, jobs, secrets, publisher });
    apiRouteList.push(
      ...apiRoutes({
        services,
        domains,
        jobs,
        logs,
        info: () => ({ ...file, home: home.root, instanceAddressing: addressing, containers }),
        shutdown: () => void stop(),
      }),
      ...identityRoutes({ policies, key, ownerEmail: owner }),
      ...secretRoutes(secrets, new MappingController(store, home)),
      metricsRoute(metrics),
      ...consoleRoutes(consoleSessions, store),
      ...buildRoutes(new SourceBuilds({ builder: new DockerImageBuilder(), engineId, log })),
    );
    cloudRunRouteList.push(
      ...cloudRunApiRoutes({
        services,
        jobs,
        domains,
        policies,
        operations: new Operations(log),
        region: settings.region,
        apiBase: () => `http://127.0.0.1:${apiPort}`,
      }),
    );
    writeAtomically(home.engineJson, JSON.stringify(file, null, 2));
    log.info("engine started", { ...file, instanceAddressing: addressing, containers });
    return { file, stopped, stop };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/**
 * The daemon serves every service: a rejection or an exception nobody owned must not end it. Every
 * stream, socket and Docker call has an owner that handles its errors; this is the net below them,
 * and what lands in it is a bug, logged as such (tests fail on a "BUG:" line in engine.log).
 */
function guardProcess(log: Logger): void {
  process.on("unhandledRejection", (reason) =>
    log.error("BUG: unhandled rejection", { error: reason instanceof Error ? reason.stack : String(reason) }),
  );
  process.on("uncaughtException", (error) => log.error("BUG: uncaught exception", { error: error.stack }));
}

/** Loopback (or, for the engine's containers, its network's gateway) only, by design: never 0.0.0.0. */
function listen(server: net.Server, port: number, what: string, flag: string, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE")
        reject(
          new SkiffError("INVALID_ARGUMENT", `the ${what} port ${port} on ${host} is in use; choose another with ${flag} N`, [
            { field: flag, reason: `port ${port} is in use` },
          ]),
        );
      else reject(error);
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

function close(server: net.Server, closeConnections: () => void): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    closeConnections();
  });
}

/**
 * At stop, the engine's Docker network goes when no container of the engine is left (see
 * releaseEngineNetwork). Bounded: a Docker that does not answer delays the stop by 5 s at most,
 * and the network is then found and used again by the next start.
 */
async function releaseNetwork(runtime: ContainerRuntime, engineId: string, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), 5000)));
  try {
    const outcome = await Promise.race([runtime.releaseNetwork(engineId), timeout]);
    if (outcome === true) log.info("the engine's Docker network was removed: no container of the engine is left");
    else if (outcome === "timeout") log.warn("Docker did not answer within 5 s; the engine's network is kept for the next start");
  } catch (error) {
    log.warn("the engine's Docker network could not be removed; the next start uses it again", { error: (error as Error).message });
  } finally {
    clearTimeout(timer);
  }
}

/** One daemon per SKIFF_HOME: a lock file holding the pid, taken over when its process is gone. */
function takeLock(home: EngineHome): () => void {
  const path = `${home.root}/engine.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, "utf8") === String(process.pid)) rmSync(path, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(path, "utf8"));
      if (owner && owner !== process.pid && processAlive(owner)) {
        throw new SkiffError(
          "FAILED_PRECONDITION",
          `an engine is already running for ${home.root} (pid ${owner}); stop it with: skiff engine stop`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new SkiffError("INTERNAL", `could not take the engine lock ${path}`);
}

/** The admin token: made once, mode 0600, kept across restarts so clients keep working. */
function ensureToken(home: EngineHome): string {
  if (existsSync(home.token)) return readFileSync(home.token, "utf8").trim();
  const token = randomBytes(32).toString("hex");
  writeFileSync(home.token, token + "\n", { mode: 0o600 });
  return token;
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
