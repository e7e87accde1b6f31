import { readFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";

/**
 * Can this host reach addresses on Docker's bridge network directly? On Linux the bridge is a host
 * interface (docker0) and the kernel routes its subnet to it; under Docker Desktop the bridge lives
 * in a VM and the host has neither. Two signs, either enough:
 * - an interface address of the host inside the subnet (os.networkInterfaces, which leaves out
 *   interfaces that are down: docker0 is down while no container runs);
 * - a route of the kernel's own table (/proc/net/route) that sends the subnet to a local interface
 *   with no gateway: present while docker0 is down too.
 */
export async function hostRoutesTo(subnets: string[]): Promise<boolean> {
  const own = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  if (subnets.some((subnet) => own.some((address) => inIpv4Subnet(address, subnet)))) return true;
  const table = await readFile("/proc/net/route", "utf8").catch(() => undefined);
  return table !== undefined && subnets.some((subnet) => directRouteCovers(table, subnet));
}

/** Linux's /proc/net/route: is there a route without a gateway (flag G) whose destination holds `subnet`? */
export function directRouteCovers(table: string, subnet: string): boolean {
  const [base, bitsText] = subnet.split("/");
  const address = ipv4ToNumber(base);
  const bits = Number(bitsText);
  if (address === undefined || !Number.isInteger(bits) || bits < 1 || bits > 32) return false;
  const GATEWAY_FLAG = 0x2;
  for (const line of table.split("\n").slice(1)) {
    const [iface, destinationHex, , flagsHex, , , , maskHex] = line.trim().split(/\s+/);
    if (!iface || maskHex === undefined) continue;
    const destination = littleEndianIpv4(destinationHex);
    const mask = littleEndianIpv4(maskHex);
    const flags = parseInt(flagsHex, 16);
    // The default route (mask 0) holds everything and goes through a gateway: not a sign of the bridge.
    if (destination === undefined || mask === undefined || mask === 0 || flags & GATEWAY_FLAG) continue;
    const subnetMask = (~0 << (32 - bits)) >>> 0;
    // The route must hold the whole subnet: its mask no longer than the subnet's, the subnet inside it.
    if ((mask & subnetMask) >>> 0 === mask && (address & mask) >>> 0 === destination) return true;
  }
  return false;
}

/** Is `address` inside `subnet` ("172.17.0.0/16")? IPv4 only; anything else is not. */
export function inIpv4Subnet(address: string, subnet: string): boolean {
  const [base, bitsText] = subnet.split("/");
  const bits = Number(bitsText);
  const a = ipv4ToNumber(address);
  const b = ipv4ToNumber(base);
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** /proc/net/route writes addresses as 8 hex digits in the host's (little-endian) byte order. */
function littleEndianIpv4(hex: string | undefined): number | undefined {
  if (!hex || !/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const n = parseInt(hex, 16);
  return (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | (n >>> 24)) >>> 0;
}
