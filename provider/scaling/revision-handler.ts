/**
 * The per-revision request handler: the router asks it for an instance, it hands out a lease and
 * takes it back when the response ends. Today every serving revision runs one instance and the
 * lease goes to the least busy ready instance; this is the seam where the throttler (cold-start
 * buffer, per-instance breaker) and the autoscaler's in-flight metrics slot in.
 */
export interface Endpoint {
  instanceId: string;
  hostPort: number;
}

export interface Lease {
  endpoint: Endpoint;
  release(): void;
}

/** No instance became available in time: Cloud Run answers 500 "no available instance". */
export class NoInstanceError extends Error {
  override name = "NoInstanceError";
}

interface Waiter {
  resolve(lease: Lease): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class RevisionHandler {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly inFlight = new Map<string, number>();
  private waiters: Waiter[] = [];

  constructor(
    readonly revision: string,
    /** Asked when a request finds no instance: the controller starts one. */
    private readonly onDemand: () => void,
    /** How long a request waits for an instance (Cloud Run: 10 s, or the startup time when longer). */
    private readonly maxWaitMs: () => number,
  ) {}

  get totalInFlight(): number {
    let sum = 0;
    for (const n of this.inFlight.values()) sum += n;
    return sum;
  }

  inFlightOf(instanceId: string): number {
    return this.inFlight.get(instanceId) ?? 0;
  }

  hasEndpoints(): boolean {
    return this.endpoints.size > 0;
  }

  addEndpoint(endpoint: Endpoint): void {
    this.endpoints.set(endpoint.instanceId, endpoint);
    if (!this.inFlight.has(endpoint.instanceId)) this.inFlight.set(endpoint.instanceId, 0);
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      clearTimeout(w.timer);
      w.resolve(this.lease(endpoint));
    }
  }

  /** Stops routing to the instance; requests already on it finish (see drained). */
  removeEndpoint(instanceId: string): void {
    this.endpoints.delete(instanceId);
  }

  /** Resolves once no request is in flight on the instance, or after maxMs. */
  async drained(instanceId: string, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.inFlightOf(instanceId) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    this.inFlight.delete(instanceId);
  }

  acquire(): Promise<Lease> {
    const endpoint = this.leastBusy();
    if (endpoint) return Promise.resolve(this.lease(endpoint));
    this.onDemand();
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new NoInstanceError(`no available instance for revision ${this.revision}`));
        }, this.maxWaitMs()),
      };
      this.waiters.push(waiter);
    });
  }

  /** Fails every waiting request (the revision is going away). */
  close(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new NoInstanceError(`revision ${this.revision} was removed`));
    }
    this.waiters = [];
  }

  private leastBusy(): Endpoint | undefined {
    let best: Endpoint | undefined;
    let bestLoad = Infinity;
    for (const e of this.endpoints.values()) {
      const load = this.inFlightOf(e.instanceId);
      if (load < bestLoad) (best = e), (bestLoad = load);
    }
    return best;
  }

  private lease(endpoint: Endpoint): Lease {
    const id = endpoint.instanceId;
    this.inFlight.set(id, this.inFlightOf(id) + 1);
    let released = false;
    return {
      endpoint,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight.set(id, Math.max(0, this.inFlightOf(id) - 1));
      },
    };
  }
}
