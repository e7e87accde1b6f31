import { UsageError } from "./output";

/** gcloud's global -q/--quiet, given anywhere on the command line (main.ts reads it). */
let quietGiven = false;

export function setQuiet(): void {
  quietGiven = true;
}

/**
 * gcloud's prompt before a delete: asked only on a terminal (stdin and stdout), skipped with -q;
 * anything but yes (Enter counts as yes, as gcloud's default) stops the command.
 */
export async function confirmOrAbort(what: string, quiet: boolean | undefined): Promise<void> {
  if (quiet || quietGiven || !process.stdin.isTTY || !process.stdout.isTTY) return;
  // node:readline is loaded only when there is a question to ask: every other CLI call starts without it (SPEC §8).
  const rl = process.getBuiltinModule("node:readline").createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise<string>((resolve) =>
    rl.question(`${what} will be deleted.\n\nDo you want to continue (Y/n)?  `, resolve),
  );
  rl.close();
  if (!/^(y|yes)?$/i.test(answer.trim())) throw new UsageError("aborted: nothing was deleted");
}
