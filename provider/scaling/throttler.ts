import type { Clock, TimerHandle } from "../base/clock";
import { Breaker } from "./breaker";

/**
 * The per-revision throttler, Knative activator style: a request waits here for a free slot on a
 * ready instance (each instance's hard limit is a Breaker), then leaves with a lease on that
 * instance. It also measures demand (in flight + queued) for the autoscaler and tells the owner at
 * once when requests queue, so a burst starts enough instances without waiting for a tick.
 */

export interface Endpoint {
  instanceId: string;
  host: string;
  port: number;
  /** The instance's concurrency: the proxy keeps at most this many connections to it. */
  maxConnections?: number;
  /** It speaks HTTP/2 cleartext (its service declared http2): the proxy opens streams on one session to it. */
  http2?: boolean;
  /**
   * Published ports only: is the app itself listening? Docker's userland proxy accepts every
   * connection and resets it when the app does not listen, so a reset alone cannot say "refused".
   */
  listening?: () => Promise<boolean>;
}

/** One slot on one instance. release() is idempotent: only the first call frees the slot. */
export interface Lease {
  readonly endpoint: Endpoint;
  release(): void;
}

/**
 * The request's own timeout passed while it waited for a slot (Cloud Run's request timeout counts
 * from its arrival, an instance's startup included): the router answers 504, as for a slow answer.
 */
export class RequestTimeoutError extends Error {
  override name = "RequestTimeoutError";
}

/** No slot in time, or the revision went away. The router answers 429 when atMaxScale, else 500. */
export class NoCapacityError extends Error {
  override name = "NoCapacityError";

  constructor(
    message: string,
    readonly atMaxScale: boolean,
  ) {
    super(message);
  }
}

export interface ThrottlerOptions {
  revision: string;
  /** Per-instance hard limit (maxInstanceRequestConcurrency). */
  concurrency: number;
  clock: Clock;
  /** Asked once per queued request: 10 s, or the revision's average startup time when longer. */
  queueTimeoutMs: () => number;
  /** Asked when a queued request times out: decides 429 (at max scale) versus 500. */
  atMaxScale: () => boolean;
  /** Called synchronously whenever a request has to queue, with demand = in flight + queued. */
  onDemand: (demand: number) => void;
}

interface Instance {
  readonly endpoint: Endpoint;
  readonly breaker: Breaker;
  /** False once removed: it takes no new requests and its record goes when in flight reaches 0. */
  ready: boolean;
  /** The proxy could not reach it: no new requests until it is resumed (or removed). */
  suspended: boolean;
  /** drained() callers; allocated only when someone waits. */
  drainWaiters: (() => void)[] | undefined;
}

interface Waiter {
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: Error) => void;
  timer: TimerHandle | undefined;
  previous: Waiter | undefined;
  next: Waiter | undefined;
}

/** Intrusive doubly linked FIFO: O(1) push, shift, and removal of a timed-out waiter from the middle. */
class WaiterQueue {
  private head: Waiter | undefined;
  private tail: Waiter | undefined;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(waiter: Waiter): void {
    waiter.previous = this.tail;
    waiter.next = undefined;
    if (this.tail) this.tail.next = waiter;
    else this.head = waiter;
    this.tail = waiter;
    this.count++;
  }

  shift(): Waiter | undefined {
    const waiter = this.head;
    if (waiter) this.remove(waiter);
    return waiter;
  }

  remove(waiter: Waiter): void {
    // Only the head has no predecessor, so this tells "queued" from "already gone".
    if (waiter.previous === undefined && this.head !== waiter) return;
    if (waiter.previous) waiter.previous.next = waiter.next;
    else this.head = waiter.next;
    if (waiter.next) waiter.next.previous = waiter.previous;
    else this.tail = waiter.previous;
    waiter.previous = waiter.next = undefined;
    this.count--;
  }
}

export class Throttler {
  readonly revision: string;
  /** Every instance with a record: ready ones, and removed ones still finishing requests. */
  private readonly instances = new Map<string, Instance>();
  /** Ready instances in the order added, so "least loaded" ties go to the earliest. */
  private readonly ready: Instance[] = [];
  private readonly waiters = new WaiterQueue();
  private inFlightCount = 0;
  private closedReason: string | undefined;
  // Integral of demand over time since the last sample, advanced on every change of demand.
  private demandArea = 0;
  private demandSince: number;
  private sampleStartedAt: number;

  constructor(private readonly options: ThrottlerOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
    this.revision = options.revision;
    this.demandSince = this.sampleStartedAt = options.clock.now();
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get queued(): number {
    return this.waiters.length;
  }

  get demand(): number {
    return this.inFlightCount + this.waiters.length;
  }

  get readyInstances(): number {
    return this.ready.length;
  }

  inFlightOf(instanceId: string): number {
    return this.instances.get(instanceId)?.breaker.inFlight ?? 0;
  }

  /** A new ready instance: queued requests take its slots at once, first come first served. */
  addInstance(endpoint: Endpoint): void {
    const id = endpoint.instanceId;
    // Instance ids are unique; a repeat means the owner lost track, and merging counts would hide it.
    if (this.instances.has(id)) throw new Error(`instance ${id} is already registered with revision ${this.revision}`);
    const instance: Instance = {
      endpoint,
      breaker: new Breaker(this.options.concurrency),
      ready: true,
      suspended: false,
      drainWaiters: undefined,
    };
    this.instances.set(id, instance);
    this.ready.push(instance);
    // While anyone waits every other ready instance is full, so the new slots are the only free ones.
    while (this.waiters.length > 0 && instance.breaker.free > 0) this.grant(this.waiters.shift()!, instance);
  }

  /** Stops routing new requests to the instance; requests in flight on it finish. */
  removeInstance(instanceId: string): void {
    const instance = this.instances.get(instanceId);
    if (!instance || !instance.ready) return;
    instance.ready = false;
    this.unlist(instance);
    if (instance.breaker.inFlight === 0) this.dropRecord(instance);
  }

  /**
   * The proxy could not connect to the instance (it may have just died): no new requests go to it
   * until resume(), so requests stop failing on it before Docker's event says what happened.
   * Answers whether it was serving and is now suspended.
   */
  suspend(instanceId: string): boolean {
    const instance = this.instances.get(instanceId);
    if (!instance || !instance.ready || instance.suspended) return false;
    instance.suspended = true;
    this.unlist(instance);
    return true;
  }

  /** The instance turned out fine: it takes requests again (queued ones first). */
  resume(instanceId: string): void {
    const instance = this.instances.get(instanceId);
    if (!instance || !instance.ready || !instance.suspended) return;
    instance.suspended = false;
    this.ready.push(instance);
    while (this.waiters.length > 0 && instance.breaker.free > 0) this.grant(this.waiters.shift()!, instance);
  }

  /**
   * Resolves once the throttler holds no record of the instance: at once for an unknown (or already
   * drained) id, otherwise when it has been removed and its last request ends, or when it is forgotten.
   */
  drained(instanceId: string): Promise<void> {
    const instance = this.instances.get(instanceId);
    if (!instance) return Promise.resolve();
    return new Promise((resolve) => (instance.drainWaiters ??= []).push(resolve));
  }

  /** The owner gave up draining: drops the record and its in-flight count; its leases release into nothing. */
  forget(instanceId: string): void {
    const instance = this.instances.get(instanceId);
    if (!instance) return;
    this.accrueDemand();
    this.inFlightCount -= instance.breaker.inFlight;
    if (instance.ready) {
      instance.ready = false;
      this.unlist(instance);
    }
    this.dropRecord(instance);
  }

  /**
   * A slot now on the least-loaded ready instance (earliest added on ties); otherwise waits in FIFO
   * order until a slot frees on any instance or one is added, failing after queueTimeoutMs, or with
   * a RequestTimeoutError after `requestTimeLeftMs` (what is left of the request's own timeout)
   * when that comes first.
   */
  acquire(requestTimeLeftMs = Infinity): Promise<Lease> {
    const lease = this.tryAcquire();
    if (lease) return Promise.resolve(lease);
    if (this.closedReason !== undefined) return Promise.reject(this.closedError());
    this.accrueDemand();
    return this.enqueue(requestTimeLeftMs);
  }

  /** A slot now, as acquire() would give it, or undefined where acquire() would wait (or fail). */
  tryAcquire(): Lease | undefined {
    // While anyone waits no slot is free (freed slots go straight to the head waiter), so under
    // overload skip the scan; it also keeps a newcomer from ever overtaking a waiter.
    if (this.closedReason !== undefined || this.waiters.length > 0) return undefined;
    const instance = this.leastLoadedWithFreeSlot();
    if (!instance) return undefined;
    this.accrueDemand();
    return this.lease(instance);
  }

  /**
   * A slot now on that instance (a client's session affinity), or undefined when it is not serving,
   * is full, or others wait (their turn comes first): the caller then routes as tryAcquire() does.
   */
  tryAcquireOn(instanceId: string): Lease | undefined {
    if (this.closedReason !== undefined || this.waiters.length > 0) return undefined;
    const instance = this.instances.get(instanceId);
    if (!instance || !instance.ready || instance.suspended || instance.breaker.free === 0) return undefined;
    this.accrueDemand();
    return this.lease(instance);
  }

  /** Time-weighted average demand since the previous call (or construction), for the autoscaler. */
  takeConcurrencySample(): number {
    this.accrueDemand();
    const now = this.options.clock.now();
    const elapsed = now - this.sampleStartedAt;
    const average = elapsed > 0 ? this.demandArea / elapsed : this.demand;
    this.demandArea = 0;
    this.sampleStartedAt = now;
    return average;
  }

  /** The revision goes away: every waiter fails now, and so does every later acquire(). */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.accrueDemand();
    for (let waiter = this.waiters.shift(); waiter; waiter = this.waiters.shift()) {
      this.options.clock.clearTimeout(waiter.timer!);
      waiter.reject(this.closedError());
    }
  }

  private enqueue(requestTimeLeftMs: number): Promise<Lease> {
    let waiter!: Waiter;
    const promise = new Promise<Lease>((resolve, reject) => {
      waiter = { resolve, reject, timer: undefined, previous: undefined, next: undefined };
    });
    const timeoutMs = this.options.queueTimeoutMs();
    waiter.timer =
      requestTimeLeftMs < timeoutMs
        ? this.options.clock.setTimeout(() => this.requestTimedOut(waiter, requestTimeLeftMs), Math.max(0, requestTimeLeftMs))
        : this.options.clock.setTimeout(() => this.timeOut(waiter, timeoutMs), timeoutMs);
    this.waiters.push(waiter);
    // After queueing, so demand counts this request and an instance added from inside onDemand serves it.
    this.options.onDemand(this.demand);
    return promise;
  }

  private timeOut(waiter: Waiter, timeoutMs: number): void {
    this.accrueDemand();
    this.waiters.remove(waiter);
    const atMaxScale = this.options.atMaxScale();
    const detail = atMaxScale ? " (the revision is at its maximum number of instances)" : "";
    waiter.reject(new NoCapacityError(`no available instance for revision ${this.revision} within ${timeoutMs} ms${detail}`, atMaxScale));
  }

  private requestTimedOut(waiter: Waiter, waitedMs: number): void {
    this.accrueDemand();
    this.waiters.remove(waiter);
    waiter.reject(
      new RequestTimeoutError(`the request timeout passed after ${waitedMs} ms waiting for an instance of revision ${this.revision}`),
    );
  }

  private grant(waiter: Waiter, instance: Instance): void {
    this.options.clock.clearTimeout(waiter.timer!);
    waiter.resolve(this.lease(instance));
  }

  private lease(instance: Instance): Lease {
    instance.breaker.tryReserve(); // callers only pick instances with a free slot
    this.inFlightCount++;
    let released = false;
    return {
      endpoint: instance.endpoint,
      release: () => {
        if (released) return;
        released = true;
        this.releaseSlot(instance);
      },
    };
  }

  private releaseSlot(instance: Instance): void {
    // Forgotten (or its id reused by a new instance): the record is gone and must stay gone.
    if (this.instances.get(instance.endpoint.instanceId) !== instance) return;
    this.accrueDemand();
    instance.breaker.release();
    this.inFlightCount--;
    if (!instance.ready) {
      if (instance.breaker.inFlight === 0) this.dropRecord(instance);
      return;
    }
    if (instance.suspended) return;
    // While anyone waits every other ready instance is full, so this freed slot goes to the head waiter.
    const next = this.waiters.shift();
    if (next) this.grant(next, instance);
  }

  private leastLoadedWithFreeSlot(): Instance | undefined {
    let best: Instance | undefined;
    for (const instance of this.ready) {
      if (instance.breaker.free > 0 && (!best || instance.breaker.inFlight < best.breaker.inFlight)) best = instance;
    }
    return best;
  }

  /** Takes the instance out of the list that acquire() picks from, if it is there. */
  private unlist(instance: Instance): void {
    const at = this.ready.indexOf(instance);
    if (at >= 0) this.ready.splice(at, 1);
  }

  private dropRecord(instance: Instance): void {
    this.instances.delete(instance.endpoint.instanceId);
    for (const resolve of instance.drainWaiters ?? []) resolve();
    instance.drainWaiters = undefined;
  }

  /** Call before anything that changes demand: closes the interval at the old demand. */
  private accrueDemand(): void {
    const now = this.options.clock.now();
    this.demandArea += this.demand * (now - this.demandSince);
    this.demandSince = now;
  }

  private closedError(): NoCapacityError {
    return new NoCapacityError(`no available instance for revision ${this.revision}: ${this.closedReason}`, false);
  }
}
