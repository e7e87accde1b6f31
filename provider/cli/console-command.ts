import { Command } from "commander";
import { connect } from "./common";

/**
 * `skiff console`: prints a one-time login URL for the engine's console (a page on the admin port,
 * api/console.ts) and, on a terminal, opens it in the browser (xdg-open or open). The URL is good
 * once, for a minute; the browser then holds a session cookie, never the engine's token.
 */
export function consoleCommand(): Command {
  return new Command("console")
    .description("open the engine's web console (prints a one-time login URL)")
    .option("--no-launch-browser", "only print the URL")
    .action(async (options: { launchBrowser: boolean }) => {
      const { url } = await (await connect()).consoleLogin();
      process.stdout.write(`${url}\n`);
      if (!options.launchBrowser || !process.stdout.isTTY) return;
      const opener = process.platform === "darwin" ? "open" : "xdg-open";
      const child = process.getBuiltinModule("node:child_process").spawn(opener, [url], { stdio: "ignore", detached: true });
      child.on("error", () => process.stderr.write(`could not start ${opener}: open the URL above in a browser\n`));
      child.unref();
    });
}
