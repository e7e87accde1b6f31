import { buildHostImage } from "./host-image";
import { fixturePath } from "./fixture-image";

/**
 * The two images of the sidecar tests (test/fixtures/pair-server.js on the host's node, `FROM
 * scratch`): `proxy`, an ingress container that proxies to a sidecar on localhost, and `backend`,
 * that sidecar. Built once per content, like every test image.
 */
export async function pairImages(): Promise<{ proxy: string; backend: string }> {
  const build = (role: "proxy" | "backend") =>
    buildHostImage({
      repository: `skiff-test/pair-${role}`,
      binaries: [{ source: process.execPath, at: "/node" }],
      copies: [{ source: fixturePath("pair-server.js"), at: "/pair-server.js" }],
      entrypoint: ["/node", "/pair-server.js"],
      env: { PAIR_ROLE: role },
      labels: { "skiff.test": "true" },
    });
  const [proxy, backend] = await Promise.all([build("proxy"), build("backend")]);
  return { proxy, backend };
}
