import { getServers } from "node:dns";
import type { Logger } from "../base/logger";
import { mintIdentityToken } from "../identity/tokens";
import type { SigningKey } from "../identity/signing-key";
import { defaultServiceAccount, projectNumber } from "../model/derived-names";
import type { ContainerRuntime, EngineNetwork } from "../runtime/container-runtime";
import { LABEL } from "../runtime/labels";
import type { Store } from "../state/store";
import { DnsServer, skiffNames } from "./dns-server";
import { MetadataServer } from "./metadata-server";

/**
 * What the engine serves its own containers on its network's gateway, beside the ingress: the
 * DNS that makes service URLs resolve there, and the metadata server. Started once the network
 * exists; every container started after gets the resolver and the metadata server's address.
 */
export interface ContainerPlatform {
  network: EngineNetwork;
  /** "gateway:53", or why names do not resolve inside containers. */
  dns: string;
  metadata: string;
  close(): void;
}

export interface PlatformDeps {
  runtime: ContainerRuntime;
  network: EngineNetwork;
  store: Store;
  key: SigningKey;
  /** The data plane knows which domains are mapped (the DNS answers those too). */
  isMappedDomain: (domain: string) => boolean;
  region: string;
  log: Logger;
}

export async function startContainerPlatform(deps: PlatformDeps): Promise<ContainerPlatform> {
  const { runtime, network, store, key, log } = deps;
  const gateway = network.gateway;
  const dnsServer = new DnsServer(skiffNames(gateway, deps.isMappedDomain), getServers(), log);
  let dns = `${gateway}:53`;
  try {
    await dnsServer.listen(gateway, 53);
  } catch (error) {
    // Port 53 needs root (or CAP_NET_BIND_SERVICE); without it everything else still works.
    dns = `not served (${(error as NodeJS.ErrnoException).code ?? (error as Error).message} on ${gateway}:53: run the engine as root, or give node CAP_NET_BIND_SERVICE, for service URLs to resolve inside containers)`;
    log.warn("service names will not resolve inside containers", { reason: dns });
  }
  const metadata = new MetadataServer(
    {
      callerAt: async (address) => {
        const container = await runtime.containerAt(address);
        const labels = container?.labels;
        if (!labels?.[LABEL.project]) return undefined;
        const project = labels[LABEL.project];
        return {
          project,
          serviceAccount: labels[LABEL.serviceAccount] ?? defaultServiceAccount(project),
          instanceId: container!.containerId,
        };
      },
      projectNumber,
      region: deps.region,
      identityToken: (email, audience) => mintIdentityToken(key, email, audience, Math.floor(Date.now() / 1000)),
    },
    log,
  );
  // The port containers were told stays theirs across restarts (it is in their environment).
  const kept = Number(store.setting("metadata-port") ?? 0);
  const port = await metadata.listen(gateway, kept).catch(() => metadata.listen(gateway, 0));
  store.putSetting("metadata-port", String(port));
  // Also on port 80 where the engine may bind it, for clients that go to metadata.google.internal without asking the environment.
  await metadata.listen(gateway, 80).catch(() => undefined);
  runtime.setContainerDefaults({
    network: network.name,
    dns: dns.startsWith(gateway) ? [gateway] : undefined,
    env: { GCE_METADATA_HOST: `${gateway}:${port}`, GCE_METADATA_IP: `${gateway}:${port}` },
  });
  return {
    network,
    dns,
    metadata: `${gateway}:${port}`,
    close: () => {
      dnsServer.close();
      metadata.close();
    },
  };
}
