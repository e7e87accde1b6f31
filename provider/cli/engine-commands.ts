import { Command, Option } from "commander";
import { EngineClient } from "../client/api-client";
import { DEFAULT_API_PORT, DEFAULT_INGRESS_PORT } from "../base/defaults";
import { engineHome, processAlive } from "../base/home";
import { runningEngine, startDetached } from "../client/launcher";
import { DEFAULT_AUTOSCALER_SETTINGS, tickFor } from "../scaling/autoscaler";
import { addressListFlag, durationFlag, intFlag, memoryFlag } from "./flags";
import { print, printTable, UsageError } from "./output";

export function engineCommands(): Command {
  const engine = new Command("engine").description("start, stop and inspect the local engine");

  engine
    .command("start")
    .description("start the engine daemon (detached unless --foreground)")
    .option("--foreground", "run in this process until interrupted")
    .option(
      "--ingress-port <port>",
      "port of the ingress on 127.0.0.1 (0 = any free port)",
      intFlag("--ingress-port"),
      DEFAULT_INGRESS_PORT,
    )
    .option("--api-port <port>", "port of the admin API on 127.0.0.1 (0 = any free port)", intFlag("--api-port"), DEFAULT_API_PORT)
    .option(
      "--scale-to-zero-grace <duration>",
      "how long a revision must be idle before its last instance stops (default 15m)",
      durationFlag("--scale-to-zero-grace"),
    )
    .option("--stable-window <duration>", "the autoscaler's stable window (default 60s)", durationFlag("--stable-window"))
    .option("--panic-window <duration>", "the autoscaler's panic window (default 6s)", durationFlag("--panic-window"))
    .option(
      "--max-log-size <quantity>",
      "cap of each service's and job's kept log, with rotation (default 64Mi); Docker's log of each container holds 1 to 1.25 times this",
      memoryFlag("--max-log-size"),
    )
    .addOption(
      new Option(
        "--instance-address <mode>",
        "how the router reaches instances: auto (bridge where the host routes to it), bridge or published",
      ).choices(["auto", "bridge", "published"]),
    )
    .option(
      "--api-allow-any-token",
      "the Cloud Run APIs (/v2/, /apis/) take any bearer token from 127.0.0.1 besides the engine's, for clients that only send Google credentials",
    )
    .option(
      "--no-request-logs",
      "no request log entries and no request metrics (count, latencies, billable time), for a load test that wants neither; the ingress still sets trace headers",
    )
    .option(
      "--trusted-proxies <addresses>",
      "client addresses whose X-Forwarded-* headers are kept (default: none, they are overwritten)",
      addressListFlag("--trusted-proxies"),
    )
    .action(async (options: EngineStartFlags) => {
      const settings = engineSettingsFrom(options);
      const home = engineHome();
      const running = runningEngine(home);
      if (running) {
        process.stdout.write(
          `the engine is already running (pid ${running.pid}): ingress 127.0.0.1:${running.ingressPort}, API 127.0.0.1:${running.apiPort}\n`,
        );
        return;
      }
      if (options.foreground) {
        // Loaded here only: the daemon pulls in dockerode and node:sqlite, which other commands never need.
        const { runDaemon } = require("../engine/daemon") as typeof import("../engine/daemon");
        const { DEFAULT_ENGINE_SETTINGS } = require("../engine/daemon") as typeof import("../engine/daemon");
        const daemon = await runDaemon({
          home,
          ingressPort: options.ingressPort,
          apiPort: options.apiPort,
          settings: {
            scaling: { ...DEFAULT_ENGINE_SETTINGS.scaling, ...settings.scaling },
            logCapBytes: settings.logCapBytes ?? DEFAULT_ENGINE_SETTINGS.logCapBytes,
            trustedProxies: options.trustedProxies ?? [],
            instanceAddress: options.instanceAddress ?? "auto",
            region: DEFAULT_ENGINE_SETTINGS.region,
            apiAllowAnyToken: options.apiAllowAnyToken ?? false,
            requestLogs: options.requestLogs ?? true,
          },
        });
        for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void daemon.stop());
        await daemon.stopped;
        return;
      }
      const file = await startDetached(home, {
        flags: ["--ingress-port", String(options.ingressPort), "--api-port", String(options.apiPort), ...settings.flags],
      });
      process.stdout.write(
        `engine started (pid ${file.pid}, home ${home.root})\n` +
          `  services: http://<service>.localhost:${file.ingressPort}\n  admin API: http://127.0.0.1:${file.apiPort}\n`,
      );
    });

  engine
    .command("stop")
    .description("stop the engine daemon; running instances are re-adopted by the next start")
    .action(async () => {
      const home = engineHome();
      const running = runningEngine(home);
      if (!running) return void process.stdout.write("the engine is not running\n");
      try {
        await (await EngineClient.connect({ home })).shutdown();
      } catch {
        process.kill(running.pid, "SIGTERM");
      }
      const deadline = Date.now() + 15_000;
      while (processAlive(running.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (processAlive(running.pid)) process.kill(running.pid, "SIGKILL");
      process.stdout.write("engine stopped\n");
    });

  engine
    .command("status")
    .description("is the engine running, and where")
    .option("--format <format>", "table or json", "table")
    .action(async (options: { format: "table" | "json" }) => {
      const home = engineHome();
      if (!runningEngine(home)) {
        process.stdout.write(
          options.format === "json" ? JSON.stringify({ running: false, home: home.root }) + "\n" : "the engine is not running\n",
        );
        process.exitCode = 2;
        return;
      }
      const info = await (await EngineClient.connect({ home })).engineInfo();
      print(options.format, { running: true, ...info }, () => {
        printTable([
          ["PID", "INGRESS", "API", "INSTANCES VIA", "ENGINE ID", "VERSION", "HOME"],
          [
            String(info.pid),
            `127.0.0.1:${info.ingressPort}`,
            `127.0.0.1:${info.apiPort}`,
            info.instanceAddressing,
            info.engineId,
            info.version,
            info.home,
          ],
        ]);
        const c = info.containers;
        process.stdout.write(
          c
            ? `containers: network ${c.network}; ingress ${c.gateway}:${info.ingressPort}; DNS ${c.dns}; metadata server ${c.metadata}\n`
            : "containers: service URLs and the metadata server are not served inside containers (the host does not route to the engine's Docker network)\n",
        );
      });
    });
  return engine;
}

interface EngineStartFlags {
  foreground?: boolean;
  ingressPort: number;
  apiPort: number;
  scaleToZeroGrace?: number;
  stableWindow?: number;
  panicWindow?: number;
  maxLogSize?: number;
  trustedProxies?: string[];
  instanceAddress?: "auto" | "bridge" | "published";
  apiAllowAnyToken?: boolean;
  /** false with --no-request-logs. */
  requestLogs?: boolean;
}

/** The engine settings the flags give (checked together), and the flags to hand to a detached daemon. */
function engineSettingsFrom(options: EngineStartFlags) {
  const stable = options.stableWindow ?? DEFAULT_AUTOSCALER_SETTINGS.stableWindowMs;
  const panic = options.panicWindow ?? Math.min(DEFAULT_AUTOSCALER_SETTINGS.panicWindowMs, stable);
  if (stable <= 0) throw new UsageError("--stable-window: must be longer than 0");
  if (panic <= 0) throw new UsageError("--panic-window: must be longer than 0");
  if (panic > stable) throw new UsageError(`--panic-window: must not be longer than the stable window (${stable} ms)`);
  if (options.maxLogSize !== undefined && options.maxLogSize < 64 * 1024) throw new UsageError("--max-log-size: must be at least 64Ki");
  const scaling: Partial<{ stableWindowMs: number; panicWindowMs: number; scaleToZeroGraceMs: number; tickMs: number }> = {
    stableWindowMs: stable,
    panicWindowMs: panic,
    tickMs: tickFor(panic),
  };
  if (options.scaleToZeroGrace !== undefined) scaling.scaleToZeroGraceMs = options.scaleToZeroGrace;
  const flags: string[] = [];
  if (options.scaleToZeroGrace !== undefined) flags.push("--scale-to-zero-grace", `${options.scaleToZeroGrace}ms`);
  if (options.stableWindow !== undefined) flags.push("--stable-window", `${options.stableWindow}ms`);
  if (options.panicWindow !== undefined) flags.push("--panic-window", `${options.panicWindow}ms`);
  if (options.maxLogSize !== undefined) flags.push("--max-log-size", String(options.maxLogSize));
  if (options.trustedProxies !== undefined) flags.push("--trusted-proxies", options.trustedProxies.join(","));
  if (options.instanceAddress !== undefined) flags.push("--instance-address", options.instanceAddress);
  if (options.apiAllowAnyToken) flags.push("--api-allow-any-token");
  if (options.requestLogs === false) flags.push("--no-request-logs");
  return { scaling, logCapBytes: options.maxLogSize, flags };
}
