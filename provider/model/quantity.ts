/** Kubernetes-style quantities as Cloud Run takes them: memory "512Mi", "1Gi"; cpu "1", "0.5", "1000m". */

const memoryUnits: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/;
const CPU = /^(\d+(?:\.\d+)?)(m)?$/;

export function parseMemoryBytes(quantity: string): number | undefined {
  const match = MEMORY.exec(quantity);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * memoryUnits[match[2] ?? ""]);
}

export function parseCpuNanos(quantity: string): number | undefined {
  const match = CPU.exec(quantity);
  if (!match) return undefined;
  const cores = match[2] === "m" ? Number(match[1]) / 1000 : Number(match[1]);
  return Math.round(cores * 1e9);
}
