import { Command, Option } from "commander";
import { serviceAccountFlag } from "./access-flags";
import { checkedProject, connect } from "./common";
import { UsageError, useFlagNames } from "./output";

/**
 * `skiff auth print-identity-token`: an identity token signed by the engine, for calling a private
 * service the way one calls a Cloud Run service:
 *   curl -H "Authorization: Bearer $(skiff auth print-identity-token --audiences URL)" URL
 * The token is the engine owner's (an invoker of every service) unless
 * --impersonate-service-account names an account; without --audiences it is accepted only from
 * the owner, by any of their services (as gcloud's own token is on Cloud Run).
 */
export function authCommands(): Command {
  const auth = new Command("auth").description("identity tokens for calling private services");

  auth
    .command("print-identity-token")
    .description("print an identity token (and a newline, nothing else) for Authorization: Bearer")
    .option("--audiences <url>", "the URL of the service the token is for (its URL, a tag URL or a mapped domain)")
    .option(
      "--impersonate-service-account <email>",
      "a token for this service account instead of yours",
      serviceAccountFlag("--impersonate-service-account"),
    )
    // gcloud's tokens leave the email out unless asked; skiff's always carry it, so the flag is a no-op.
    .addOption(new Option("--include-email", "accepted for gcloud compatibility; the token always names its email").hideHelp())
    .option("--project <project>", "accepted for gcloud compatibility: tokens are not per project", process.env.SKIFF_PROJECT ?? "default")
    .action(async (options) => {
      checkedProject(options);
      if (options.audiences !== undefined && options.audiences.trim() === "") throw new UsageError("--audiences: must not be empty");
      useFlagNames({ audience: "--audiences", serviceAccount: "--impersonate-service-account" });
      const { token } = await (
        await connect()
      ).identityToken({ audience: options.audiences, serviceAccount: options.impersonateServiceAccount });
      process.stdout.write(`${token}\n`);
    });
  return auth;
}
