import { randomUUID } from "node:crypto";
import type { Logger } from "../base/logger";
import { operationResourceName, type Scope } from "../cloudrun-v2/resource-names";
import { rpcFailureOf, statusMessage, type RpcFailure } from "../cloudrun-v2/rpc-status";
import { packAny, type EncodeOptions } from "../cloudrun-v2/wire-codec";
import { notFound } from "../model/errors";

/**
 * The Cloud Run v2 API's long-running operations: each change answers with an Operation at once
 * and does its work behind it (a deploy waits for its revision); the client polls (Get), waits
 * (Wait) or lists them. As Cloud Run's, an operation's metadata and its response are the resource
 * it is about (a Service, a Job, an Execution), packed as Any.
 *
 * Kept in the engine's memory only: a restart forgets them (a Get of an older one is NOT_FOUND),
 * while the changes themselves are in the engine's state as every change is (a revision that was
 * starting is marked failed by the restart, a running execution is picked up again). At most
 * `limit` are kept; past that the oldest finished ones are forgotten first.
 */

export type OperationKind = "Service" | "Revision" | "Job" | "Execution";
type Wire = Record<string, unknown>;

export interface Operation {
  id: string;
  scope: Scope;
  kind: OperationKind;
  createTime: string;
  metadata: Wire;
  done: boolean;
  response?: Wire;
  error?: RpcFailure;
  finished: Promise<void>;
}

/** What the work of an operation may say while it runs: the resource as it is now. */
export type Progress = (metadata: Wire) => void;

const DEFAULT_LIMIT = 1000;

export class Operations {
  private readonly byId = new Map<string, Operation>();

  constructor(
    private readonly log: Logger,
    private readonly limit = DEFAULT_LIMIT,
  ) {}

  /** Answers at once with `metadata`; `work` runs behind it and its result (or error) finishes it. */
  start(scope: Scope, kind: OperationKind, metadata: Wire, work: (progress: Progress) => Promise<Wire>): Operation {
    const op = this.add(scope, kind, metadata);
    op.finished = Promise.resolve()
      .then(() => work((m) => (op.metadata = m)))
      .then(
        (response) => {
          op.response = response;
          op.metadata = response;
        },
        (error: unknown) => {
          op.error = rpcFailureOf(error);
          if (op.error.code === "INTERNAL") this.log.error("a Cloud Run API operation failed", { operation: op.id, error: String(error) });
        },
      )
      .finally(() => {
        op.done = true;
      });
    return op;
  }

  /** An operation whose work is already done (a delete, a validateOnly request). */
  finished(scope: Scope, kind: OperationKind, response: Wire): Operation {
    const op = this.add(scope, kind, response);
    op.response = response;
    op.done = true;
    return op;
  }

  get(scope: Scope, id: string): Operation {
    const op = this.byId.get(id);
    if (!op || op.scope.project !== scope.project) throw notFound("operation", id, scope.project);
    return op;
  }

  /** Newest first; location "-" means every location. */
  list(scope: Scope): Operation[] {
    return [...this.byId.values()]
      .filter((op) => op.scope.project === scope.project && (scope.location === "-" || op.scope.location === scope.location))
      .reverse();
  }

  delete(scope: Scope, id: string): void {
    this.get(scope, id);
    this.byId.delete(id);
  }

  /** Resolves once the operation is done, or after `ms`. */
  async wait(op: Operation, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([op.finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  private add(scope: Scope, kind: OperationKind, metadata: Wire): Operation {
    const op: Operation = {
      id: randomUUID(),
      scope,
      kind,
      createTime: new Date().toISOString(),
      metadata,
      done: false,
      finished: Promise.resolve(),
    };
    this.byId.set(op.id, op);
    this.forgetOldest();
    return op;
  }

  private forgetOldest(): void {
    if (this.byId.size <= this.limit) return;
    for (const [id, op] of this.byId) {
      if (this.byId.size <= this.limit) return;
      if (op.done) this.byId.delete(id);
    }
  }
}

/** A google.longrunning.Operation in proto3 JSON. */
export function operationToWire(op: Operation, options: EncodeOptions): Wire {
  return {
    name: operationResourceName(op.scope, op.id),
    metadata: packAny(op.kind, op.metadata, options),
    done: op.done,
    ...(op.done && op.error ? { error: statusMessage(op.error) } : {}),
    ...(op.done && !op.error && op.response ? { response: packAny(op.kind, op.response, options) } : {}),
  };
}
