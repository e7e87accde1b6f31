import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fixturePath } from "./fixture-image";
import { buildHostImage } from "./host-image";
import { npmPackages } from "./in-container";

/**
 * gRPC for the HTTP/2 tests: the image of test/fixtures/grpc-server.js (Google's @grpc/grpc-js
 * from the npm registry, at the versions this package's own devDependencies pin, beside the host's
 * node `FROM scratch`), and a client of its Echo service on the host speaking to skiff's ingress.
 */

export interface Message {
  text: string;
  revision: string;
  instance: string;
  index: number;
}

/** The versions package.json pins, so the image's server and the host's client are the same code. */
function pinned(name: string): string {
  const pkg = JSON.parse(readFileSync(path.resolve(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  const version = pkg.devDependencies[name];
  if (!version) throw new Error(`${name} is not among package.json's devDependencies`);
  return `${name}@${version}`;
}

let building: Promise<string> | undefined;

export function grpcImage(): Promise<string> {
  building ??= (async () => {
    const modules = await npmPackages([pinned("@grpc/grpc-js"), pinned("@grpc/proto-loader")]);
    return buildHostImage({
      repository: "skiff-test/grpc",
      binaries: [{ source: process.execPath, at: "/node" }],
      copies: [
        { source: fixturePath("grpc-server.js"), at: "/grpc-server.js" },
        { source: fixturePath("echo.proto"), at: "/echo.proto" },
        { source: fixturePath("health.proto"), at: "/health.proto" },
        { source: modules, at: "/node_modules" },
      ],
      entrypoint: ["/node", "/grpc-server.js"],
      labels: { "skiff.test": "true" },
    });
  })().catch((error: unknown) => {
    building = undefined;
    throw error;
  });
  return building;
}

/** The Echo client's calls, as grpc-js generates them from echo.proto. */
export interface EchoClient extends grpc.Client {
  Say(
    request: { text: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<Message>,
  ): grpc.ClientUnaryCall;
  Count(request: { count: number; gap_ms?: number; hold_ms?: number }, options?: grpc.CallOptions): grpc.ClientReadableStream<Message>;
  Chat(): grpc.ClientDuplexStream<{ text: string; index: number }, Message>;
  Sleep(request: { ms: number }, callback: grpc.requestCallback<Message>): grpc.ClientUnaryCall;
}

/** A client of the Echo service at the ingress, naming the service's host as its :authority (one HTTP/2 connection). */
export function echoClient(ingressPort: number, host: string): EchoClient {
  const definition = protoLoader.loadSync(fixturePath("echo.proto"), { keepCase: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    skiff: { test: { Echo: new (target: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions) => EchoClient } };
  };
  return new loaded.skiff.test.Echo(`127.0.0.1:${ingressPort}`, grpc.credentials.createInsecure(), { "grpc.default_authority": host });
}

export interface UnaryAnswer {
  message?: Message;
  error?: grpc.ServiceError;
  initial?: grpc.Metadata;
  trailing?: grpc.Metadata;
}

/** A Say call with its metadata both ways. */
export function say(client: EchoClient, text: string, metadata = new grpc.Metadata()): Promise<UnaryAnswer> {
  return new Promise((resolve) => {
    const answer: UnaryAnswer = {};
    const call = client.Say({ text }, metadata, {}, (error, message) => {
      if (error) answer.error = error;
      else answer.message = message;
    });
    call.on("metadata", (initial: grpc.Metadata) => (answer.initial = initial));
    call.on("status", (status: grpc.StatusObject) => {
      answer.trailing = status.metadata;
      // The callback runs before 'status': the answer is whole here.
      setImmediate(() => resolve(answer));
    });
  });
}

/** A server stream read to its end: its messages (with when each came) and its status. */
export function count(
  client: EchoClient,
  request: { count: number; gap_ms?: number; hold_ms?: number },
): Promise<{ messages: Message[]; at: number[]; status: grpc.StatusObject }> {
  return new Promise((resolve) => {
    const messages: Message[] = [];
    const at: number[] = [];
    const call = client.Count(request);
    call.on("data", (message: Message) => {
      messages.push(message);
      at.push(Date.now());
    });
    call.on("error", () => undefined);
    call.on("status", (status: grpc.StatusObject) => resolve({ messages, at, status }));
  });
}

export { grpc };
