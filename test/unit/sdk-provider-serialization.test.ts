import test from "ava";
import * as pulumi from "@pulumi/pulumi";
import { domainMappingProvider } from "../../sdk/resources/domain-mapping";
import { jobProvider } from "../../sdk/resources/job";
import { revisionProvider } from "../../sdk/resources/revision";
import { serviceProvider } from "../../sdk/resources/service";
import { trafficTargetProvider } from "../../sdk/resources/traffic-target";
import { gcpDomainMappingProvider } from "../../sdk/cloudrun/domain-mapping";
import { gcpJobProvider } from "../../sdk/cloudrunv2/job";
import { gcpServiceProvider } from "../../sdk/cloudrunv2/service";
import { serviceIamBindingProvider, serviceIamMemberProvider, serviceIamPolicyProvider } from "../../sdk/cloudrunv2/service-iam";
import { jobIamMemberProvider } from "../../sdk/cloudrunv2/job-iam";
import { secretProvider, secretVersionProvider } from "../../sdk/resources/secret";
import { imageProvider } from "../../sdk/resources/image";
import { gcpSecretProvider, gcpSecretVersionProvider } from "../../sdk/secretmanager/secret";

// What Pulumi writes into the state as `__provider` must stay tiny and stable: it loads skiff's
// implementation by package name at call time and captures nothing, so state written by one
// version of skiff still refreshes and deletes with the next.

const kinds: [string, pulumi.dynamic.ResourceProvider][] = [
  ["service", serviceProvider],
  ["revision", revisionProvider],
  ["traffic-target", trafficTargetProvider],
  ["domain-mapping", domainMappingProvider],
  ["job", jobProvider],
  ["cloudrunv2-service", gcpServiceProvider],
  ["cloudrunv2-job", gcpJobProvider],
  ["cloudrun-domain-mapping", gcpDomainMappingProvider],
  ["cloudrunv2-service-iam-member", serviceIamMemberProvider],
  ["cloudrunv2-service-iam-binding", serviceIamBindingProvider],
  ["cloudrunv2-service-iam-policy", serviceIamPolicyProvider],
  ["cloudrunv2-job-iam-member", jobIamMemberProvider],
  ["secret", secretProvider],
  ["image", imageProvider],
  ["secret-version", secretVersionProvider],
  ["secretmanager-secret", gcpSecretProvider],
  ["secretmanager-secret-version", gcpSecretVersionProvider],
];

for (const [kind, provider] of kinds) {
  test(`the serialized ${kind} provider only requires skiff-run/sdk/providers/${kind} and captures nothing`, async (t) => {
    const { text } = await pulumi.runtime.serializeFunction(() => provider);
    const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    t.true(requires.length > 0);
    t.deepEqual([...new Set(requires)], [`skiff-run/sdk/providers/${kind}`]);
    // The only captured variable is the provider object itself (no config, client, path or URL).
    const captured = [...text.matchAll(/with\(\{ ([^}]*) \}\)/g)].flatMap((m) => m[1].split(", ").map((kv) => kv.split(":")[0]));
    t.deepEqual(
      [...new Set(captured)].filter((name) => name !== "this" && name !== "arguments"),
      ["provider"],
    );
    t.false(text.includes(process.cwd()), "no absolute paths");
    t.true(text.length < 4000, `serialized provider is ${text.length} characters`);
  });

  test(`skiff-run/sdk/providers/${kind} resolves by package name and implements every method the provider calls`, (t) => {
    const implementation = require(`skiff-run/sdk/providers/${kind}`) as { provider: Record<string, unknown> };
    for (const method of Object.keys(provider)) t.is(typeof implementation.provider[method], "function", method);
  });
}
