import type Docker from "dockerode";
import { LABEL } from "./labels";
import type { ContainerSummary, EngineNetwork } from "./container-runtime";

/**
 * Each engine's containers share a Docker bridge network of their own, `skiff-<engine id>`: the
 * engine listens on its gateway address for them (the ingress, so service URLs work inside
 * containers; the DNS answers for skiff's host names; the metadata server). A network per engine
 * gives each engine its own gateway, so engines sharing one Docker daemon never contend for a port
 * there. It is made once and kept across restarts while the engine has containers (they outlive the
 * engine, and keep their addresses and resolver); it carries the engine's labels, so cleanup finds
 * it, and an engine that stops with no container left removes it (releaseEngineNetwork).
 */
export async function ensureEngineNetwork(docker: Docker, engineId: string): Promise<EngineNetwork> {
  const name = `skiff-${engineId}`;
  let info = await inspectNetwork(docker, name);
  if (!info) {
    try {
      await docker.createNetwork({
        Name: name,
        Driver: "bridge",
        CheckDuplicate: true,
        Labels: { [LABEL.managed]: "true", [LABEL.engine]: engineId },
      });
    } catch (error) {
      // Another call made it meanwhile: use that one.
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    }
    info = await inspectNetwork(docker, name);
  }
  const config = info?.IPAM?.Config?.find((c) => c.Gateway && c.Subnet);
  if (!config?.Gateway || !config.Subnet) throw new Error(`Docker network ${name} has no IPv4 gateway`);
  return { name, gateway: config.Gateway, subnet: config.Subnet };
}

/**
 * Removes the engine's network when none of the engine's containers is left, running or not (a
 * stopped one would not start again without it): Docker has a few dozen address pools for bridge
 * networks, and every engine home that is used once and forgotten would otherwise hold one for
 * ever. Answers whether the network is gone; kept (false) while the engine has a container, or
 * when Docker refuses (a container joined it meanwhile). The next start makes it again.
 */
export async function releaseEngineNetwork(docker: Docker, engineId: string): Promise<boolean> {
  const remaining = await docker.listContainers({ all: true, filters: { label: [`${LABEL.engine}=${engineId}`] } });
  if (remaining.length > 0) return false;
  try {
    await docker.getNetwork(`skiff-${engineId}`).remove();
    return true;
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 404) return true;
    // 403/409: it has active endpoints, a container joined it after the list above.
    if (status === 403 || status === 409) return false;
    throw error;
  }
}

type NetworkInfo = { IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] } };

async function inspectNetwork(docker: Docker, name: string): Promise<NetworkInfo | undefined> {
  try {
    return await docker.getNetwork(name).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/**
 * Which of the engine's containers has an address: remembered as containers start, asked of Docker
 * (one list of the network's containers) when an address is not known, e.g. after a restart.
 */
export class ContainersByAddress {
  private readonly known = new Map<string, ContainerSummary>();
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly engineId: string,
  ) {}

  /** A container that started: its address is its now, whoever had it before. */
  remember(address: string | undefined, summary: ContainerSummary): void {
    if (address) this.known.set(address, summary);
  }

  /** A container that is gone: its address may go to another. */
  forget(containerId: string): void {
    for (const [address, summary] of this.known) if (summary.containerId === containerId) this.known.delete(address);
  }

  async find(address: string): Promise<ContainerSummary | undefined> {
    const hit = this.known.get(address);
    if (hit) return hit;
    // One refresh at a time, however many callers miss at once.
    await (this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined)));
    return this.known.get(address);
  }

  private async refresh(): Promise<void> {
    const containers = await this.docker.listContainers({ filters: { label: [`${LABEL.engine}=${this.engineId}`], status: ["running"] } });
    // Addresses are reused once a container is gone: what Docker says now replaces what was known.
    this.known.clear();
    for (const c of containers) {
      const summary: ContainerSummary = { containerId: c.Id, labels: c.Labels, running: true };
      for (const network of Object.values(c.NetworkSettings?.Networks ?? {}))
        if (network.IPAddress) this.known.set(network.IPAddress, summary);
    }
  }
}
