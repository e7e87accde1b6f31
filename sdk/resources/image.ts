import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "./resource";
import { resolveProject } from "./project";

export interface ImageArgs {
  /** The directory to build; relative to the program's folder. */
  context: pulumi.Input<string>;
  /** The Dockerfile, relative to the context. Default `Dockerfile`. */
  dockerfile?: pulumi.Input<string>;
  buildArgs?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The stage of a multi-stage Dockerfile to build. */
  target?: pulumi.Input<string>;
  /** Part of the tag `skiff.local/<project>/<name>:<hash>`. Default: the resource's name. */
  name?: pulumi.Input<string>;
  /** Default: stack config `skiff:project`, else the stack name. */
  project?: pulumi.Input<string>;
}

/** See service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const imageProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/image").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/image").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/image").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/image").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/image").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/image").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/image").provider.delete(id, props);
  },
};

/**
 * An image built by the engine from a directory, as `skiff deploy --source` builds one: its
 * `.dockerignore` (or `.gcloudignore`) honoured, tagged `skiff.local/<project>/<name>:<content
 * hash>`. Its diff is the content hash, computed by `check` from the files: a program run again
 * with no source change previews no change and builds nothing. Feed `ref` (or `imageDigest`) to a
 * Service's or Job's `template.image`. Deleting it removes the images built for it.
 */
export class Image extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly context: pulumi.Output<string>;
  declare readonly contentHash: pulumi.Output<string>;
  /** `skiff.local/<project>/<name>:<content hash>`: known at preview. */
  declare readonly ref: pulumi.Output<string>;
  /** The image id (`sha256:…`), what a revision pins; known at preview once built. */
  declare readonly imageDigest: pulumi.Output<string>;

  constructor(name: string, args: ImageArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      name: args.name ?? name,
      project: resolveProject(args.project),
      context: pulumi.output(args.context).apply((dir) => path.resolve(dir)),
      dockerfile: args.dockerfile,
      buildArgs: args.buildArgs,
      target: args.target,
      contentHash: undefined,
      ref: undefined,
      imageDigest: undefined,
    };
    super(imageProvider, name, props, opts, "skiff", "Image");
  }
}
