import type { Revision } from "../../provider/model/revision";
import { checkRevisionInputs, type RevisionInputs } from "../check/revision";
import { diffRevision } from "../diff/revision";
import { revisionAtPreview } from "../check/known-at-preview";
import { configure, engine, explain, isNotFound, previewFacts, type ProviderConfig } from "./engine";
import { compact } from "./errors";

/**
 * The Revision resource's provider: a candidate revision of a service, created with no traffic of
 * its own (only a TrafficTarget routes to it) and never the service's latest revision.
 */
export interface RevisionOutputs extends RevisionInputs {
  name: string;
  imageDigest: string;
  ready: boolean;
  /** The first tag URL that reaches this revision, once a TrafficTarget gives it a tag. */
  url?: string;
}

function outputsOf(inputs: RevisionInputs, revision: Revision): RevisionOutputs {
  return compact({
    ...inputs,
    name: revision.name,
    imageDigest: revision.imageDigest,
    ready: revision.status === "READY",
    url: revision.urls[0],
  });
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const outcome = checkRevisionInputs(news, olds);
    if (outcome.failures.length > 0) return outcome;
    const facts = await previewFacts(outcome.inputs.template?.image);
    return { ...outcome, inputs: { ...outcome.inputs, ...revisionAtPreview(outcome.inputs, facts) } };
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffRevision(olds, news);
  },

  async create(inputs: RevisionInputs) {
    const client = await engine();
    let revision: Revision;
    try {
      revision = await client.createRevision(inputs.project, inputs.service, inputs.template, { revisionSuffix: inputs.revisionSuffix });
    } catch (error) {
      throw explain(`creating a revision of service "${inputs.service}" in project "${inputs.project}"`, error);
    }
    if (revision.status === "FAILED") {
      // A failed candidate is of no use to anyone: remove it so nothing is left behind.
      await client.deleteRevision(inputs.project, revision.name).catch(() => undefined);
      throw new Error(`revision ${revision.name} of service "${inputs.service}" failed: ${revision.error ?? "no reason given"}`);
    }
    return { id: revision.name, outs: outputsOf(inputs, revision) };
  },

  async read(id: string, props: RevisionOutputs) {
    const client = await engine();
    try {
      const r = await client.getRevision(props.project, id);
      // The suffix is the program's way of naming it: kept as it was, so a refresh is no diff.
      const inputs: RevisionInputs = { service: r.service, project: r.project, template: r.template };
      if (props.revisionSuffix !== undefined) inputs.revisionSuffix = props.revisionSuffix;
      return { id, props: outputsOf(inputs, r) };
    } catch (error) {
      if (isNotFound(error)) return { id: "", props: {} };
      throw explain(`reading revision "${id}"`, error);
    }
  },

  async delete(id: string, props: RevisionOutputs) {
    const client = await engine();
    try {
      await client.deleteRevision(props.project, id);
    } catch (error) {
      if (!isNotFound(error)) throw explain(`deleting revision "${id}"`, error);
    }
  },
};
