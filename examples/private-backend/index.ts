import * as pulumi from "@pulumi/pulumi";
import * as gcp from "skiff-run";

const config = new pulumi.Config();
const location = config.get("location") ?? "us-central1";
const gcpProject = new pulumi.Config("gcp").get("project") ?? "my-project-name";
const image = config.get("image") ?? "skiff-demo/hello:latest";
// Whether web may call api; `pulumi config set grantWebAccess false` and `pulumi up` take it back.
const grantWebAccess = config.getBoolean("grantWebAccess") ?? true;

// The account web runs as. Its identity tokens, from the metadata server in web's containers, are
// what api checks. (On Google Cloud the account must exist: a gcp.serviceaccount.Account's email.)
const webAccount = `web@${gcpProject}.iam.gserviceaccount.com`;

// The backend. No IAM resource opens it, so it is private: a caller needs an identity token for
// its URL, of an identity that has roles/run.invoker on it.
const api = new gcp.cloudrunv2.Service("api", {
  name: "api",
  location,
  deletionProtection: false,
  template: {
    containers: [{ image, envs: [{ name: "GREETING", value: "Hello from the private api" }] }],
  },
});

// The front end: it calls API_URL with a token of its own account and answers with api's answer.
const web = new gcp.cloudrunv2.Service("web", {
  name: "web",
  location,
  deletionProtection: false,
  template: {
    serviceAccount: webAccount,
    containers: [
      {
        image,
        envs: [
          { name: "GREETING", value: "Hello from web" },
          { name: "API_URL", value: api.uri },
        ],
      },
    ],
  },
});

// Anyone may call web.
new gcp.cloudrunv2.ServiceIamMember("web-public", {
  name: web.name,
  location,
  role: "roles/run.invoker",
  member: "allUsers",
});

// web's account may call api.
if (grantWebAccess) {
  new gcp.cloudrunv2.ServiceIamMember("web-invokes-api", {
    name: api.name,
    location,
    role: "roles/run.invoker",
    member: `serviceAccount:${webAccount}`,
  });
}

export const webUri = web.uri;
export const apiUri = api.uri;
export const webServiceAccount = webAccount;
