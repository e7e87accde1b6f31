import { OAuth2Client } from "google-auth-library";
import type { TestEngine } from "./engine";

/**
 * Options that point a client of Google's Node library for Cloud Run (`new v2.ServicesClient(...)`)
 * at an engine's admin API: REST mode over plain http, the engine's token as the OAuth access token.
 */
export function googleRunClientOptions(engine: TestEngine) {
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: engine.token });
  return { fallback: "rest" as const, apiEndpoint: "127.0.0.1", port: engine.apiPort, protocol: "http", authClient };
}
