// One S3 identity per service with only what it uses: the policies in k8s/base/minio/policies are valid
// MinIO policies, allow exactly the access matrix of docs/deployment.md ("S3 identities"), and are the
// ones the compose init and the k8s minio-setup Job give each service's own user, whose credentials
// that service (and no other) receives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO, containers, podTemplate, read, render } from "./manifests.mjs";
import {
  POLICY_DIR, SERVICES, covers, decide, grammarErrors, list, madeBySetup, minioRuleErrors, policies, runSetup,
} from "./s3-policies.mjs";

const BUCKETS = ["ddpm-datasets", "ddpm-checkpoints", "ddpm-models", "ddpm-samples"];

/**
 * What each service does in S3, read from its code (and ddpm-core's ModelLifecycle/ModelAliasStore
 * it calls). `allow`: every request the service makes; `deny`: what it must not be able to do.
 * A request: [action, "bucket/key" | "bucket" | "*", { "s3:prefix": ... }].
 */
const MATRIX = {
  gateway: {
    allow: [
      ["s3:ListAllMyBuckets", "*"],
      // data sets: streamed uploads (multipart to .staging/, then copied), owner records, deletion, listing
      ["s3:PutObject", "ddpm-datasets/.staging/0b5c"], ["s3:AbortMultipartUpload", "ddpm-datasets/.staging/0b5c"],
      ["s3:GetObject", "ddpm-datasets/.staging/0b5c"], ["s3:DeleteObject", "ddpm-datasets/.staging/0b5c"],
      ["s3:PutObject", "ddpm-datasets/x/a.png"], ["s3:PutObject", "ddpm-datasets/x.owner.json"],
      ["s3:GetObject", "ddpm-datasets/x.owner.json"], ["s3:DeleteObject", "ddpm-datasets/x/a.png"],
      ["s3:ListBucket", "ddpm-datasets", { "s3:prefix": "" }], ["s3:ListBucket", "ddpm-datasets", { "s3:prefix": "x/" }],
      // models: catalog, manifests, grids; the alias documents (promote, rollback, canary, policy); deleting a version
      ["s3:ListBucket", "ddpm-models", { "s3:prefix": "" }], ["s3:GetObject", "ddpm-models/m/v1/manifest.json"],
      ["s3:GetObject", "ddpm-models/m/v1/samples.png"], ["s3:GetObject", "ddpm-models/m/aliases.json"],
      ["s3:PutObject", "ddpm-models/m/aliases.json"], ["s3:DeleteObject", "ddpm-models/m/v1/manifest.json"],
      // sample jobs' results; the sample grids of training runs
      ["s3:GetObject", "ddpm-samples/job-1/result.json"], ["s3:GetObject", "ddpm-samples/job-1/0.png"],
      ["s3:ListBucket", "ddpm-checkpoints", { "s3:prefix": "m-20250101-ab12/samples/" }],
      ["s3:GetObject", "ddpm-checkpoints/m-20250101-ab12/samples/step-100.png"],
    ],
    deny: [
      // no graph, manifest or anything else inside a model version, not even a file named aliases.json there
      ["s3:PutObject", "ddpm-models/m/v1/model.onnx"], ["s3:PutObject", "ddpm-models/m/v1/unet.onnx"],
      ["s3:PutObject", "ddpm-models/m/v1/manifest.json"], ["s3:PutObject", "ddpm-models/m/v1/aliases.json"],
      ["s3:PutObject", "ddpm-models/m/manifest.json"], ["s3:AbortMultipartUpload", "ddpm-models/m/v1/unet.onnx"],
      ["s3:DeleteObject", "ddpm-models/m/aliases.json"],
      // checkpoints: only the grids
      ["s3:GetObject", "ddpm-checkpoints/m-20250101-ab12/step-100/weights.bin"],
      ["s3:GetObject", "ddpm-checkpoints/m-20250101-ab12/latest.json"],
      ["s3:PutObject", "ddpm-checkpoints/m-20250101-ab12/samples/step-100.png"],
      ["s3:ListBucket", "ddpm-checkpoints", { "s3:prefix": "" }],
      ["s3:ListBucket", "ddpm-checkpoints", { "s3:prefix": "m-20250101-ab12/" }],
      ["s3:ListBucket", "ddpm-checkpoints"],
      ["s3:PutObject", "ddpm-samples/job-1/result.json"], ["s3:DeleteObject", "ddpm-samples/job-1/result.json"],
      ["s3:ListBucket", "ddpm-samples", { "s3:prefix": "" }],
    ],
  },
  sampler: {
    allow: [
      ["s3:ListAllMyBuckets", "*"],
      ["s3:ListBucket", "ddpm-models", { "s3:prefix": "" }], ["s3:ListBucket", "ddpm-models", { "s3:prefix": "m/" }],
      ["s3:GetObject", "ddpm-models/m/v1/manifest.json"], ["s3:GetObject", "ddpm-models/m/v1/unet.onnx"],
      ["s3:GetObject", "ddpm-models/m/aliases.json"],
      // job results: images then result.json (removed again if a write fails), failures written once
      ["s3:PutObject", "ddpm-samples/job-1/0.png"], ["s3:PutObject", "ddpm-samples/job-1/result.json"],
      ["s3:AbortMultipartUpload", "ddpm-samples/job-1/video.mp4"], ["s3:GetObject", "ddpm-samples/job-1/failure.json"],
      ["s3:DeleteObject", "ddpm-samples/job-1/0.png"],
    ],
    deny: [
      ["s3:PutObject", "ddpm-models/m/v1/unet.onnx"], ["s3:PutObject", "ddpm-models/m/v1/manifest.json"],
      ["s3:PutObject", "ddpm-models/m/aliases.json"], ["s3:DeleteObject", "ddpm-models/m/v1/unet.onnx"],
      ["s3:GetObject", "ddpm-checkpoints/m-20250101-ab12/step-100/weights.bin"],
      ["s3:ListBucket", "ddpm-checkpoints", { "s3:prefix": "" }],
      ["s3:GetObject", "ddpm-datasets/x/a.png"], ["s3:PutObject", "ddpm-datasets/x/a.png"],
    ],
  },
  trainer: {
    allow: [
      ["s3:ListAllMyBuckets", "*"],
      ["s3:ListBucket", "ddpm-datasets", { "s3:prefix": "x/" }], ["s3:GetObject", "ddpm-datasets/x/a.png"],
      // checkpoints, leases, attempts, outcomes, cancellation markers, grids; retention deletes
      ["s3:ListBucket", "ddpm-checkpoints", { "s3:prefix": "m-20250101-ab12/step-" }],
      ["s3:PutObject", "ddpm-checkpoints/m-20250101-ab12/step-100/weights.bin"],
      ["s3:AbortMultipartUpload", "ddpm-checkpoints/m-20250101-ab12/step-100/weights.bin"],
      ["s3:GetObject", "ddpm-checkpoints/m-20250101-ab12/latest.json"],
      ["s3:DeleteObject", "ddpm-checkpoints/m-20250101-ab12/step-100/weights.bin"],
      // publishing: graph, grid, manifest last, the alias document; removed again if not announced
      ["s3:ListBucket", "ddpm-models", { "s3:prefix": "" }], ["s3:PutObject", "ddpm-models/m/v1/unet.onnx"],
      ["s3:AbortMultipartUpload", "ddpm-models/m/v1/unet.onnx"], ["s3:PutObject", "ddpm-models/m/v1/manifest.json"],
      ["s3:PutObject", "ddpm-models/m/aliases.json"], ["s3:GetObject", "ddpm-models/m/v1/manifest.json"],
      ["s3:DeleteObject", "ddpm-models/m/v1/unet.onnx"],
    ],
    deny: [
      ["s3:PutObject", "ddpm-samples/job-1/0.png"], ["s3:GetObject", "ddpm-samples/job-1/result.json"],
      ["s3:ListBucket", "ddpm-samples", { "s3:prefix": "" }],
      ["s3:PutObject", "ddpm-datasets/x/a.png"], ["s3:DeleteObject", "ddpm-datasets/x/a.png"],
    ],
  },
};

/** Nobody administers buckets: they are the init's (and the root user's) business. */
const BUCKET_ADMINISTRATION = ["s3:CreateBucket", "s3:DeleteBucket", "s3:ForceDeleteBucket", "s3:PutBucketPolicy",
  "s3:DeleteBucketPolicy", "s3:PutBucketNotification", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning",
  "s3:PutBucketObjectLockConfiguration", "s3:PutReplicationConfiguration", "s3:PutBucketEncryption",
  "s3:PutBucketTagging", "s3:GetBucketPolicy"];

const request = ([action, path, context]) => ({ action, path, context: context ?? {} });
const show = ([action, path, context]) => `${action} ${path}${context ? ` ${JSON.stringify(context)}` : ""}`;

const all = policies();

test("one policy per service, nothing else in the policy directory", () => {
  assert.deepEqual(Object.keys(all).sort(), [...SERVICES].sort());
});

for (const service of SERVICES) {
  const policy = all[service];

  test(`${service}: the policy is valid MinIO policy JSON (schema and MinIO's own rules)`, () => {
    assert.deepEqual(grammarErrors(policy), [], `${POLICY_DIR}/${service}.json against minio-policy.schema.json`);
    assert.deepEqual(minioRuleErrors(policy), []);
  });

  test(`${service}: allows every request the service makes`, () => {
    for (const r of MATRIX[service].allow) assert.equal(decide(policy, request(r)), "allow", show(r));
  });

  test(`${service}: refuses what the service must not do`, () => {
    for (const r of MATRIX[service].deny) assert.notEqual(decide(policy, request(r)), "allow", show(r));
    for (const action of BUCKET_ADMINISTRATION) {
      for (const bucket of [...BUCKETS, "other-bucket"]) {
        assert.notEqual(decide(policy, { action, path: bucket }), "allow", `${action} ${bucket}`);
      }
    }
    assert.notEqual(decide(policy, { action: "s3:GetObject", path: "other-bucket/x" }), "allow", "only ddpm-* buckets");
  });

  test(`${service}: no wildcard actions, no admin actions, every right granted is one the service uses`, () => {
    for (const s of policy.Statement) {
      for (const action of list(s.Action)) {
        assert.match(action, /^s3:[A-Za-z]+$/, `${service}: ${action} (no s3:*, no admin:*, no wildcards)`);
      }
      if (s.Effect !== "Allow") continue;
      // An Allow (action x resource) no request of the matrix needs is a right the service does not use.
      for (const action of list(s.Action)) {
        for (const resource of list(s.Resource)) {
          assert.ok(MATRIX[service].allow.some((r) => covers(action, resource, request(r))),
            `${service}: ${s.Sid} grants ${action} on ${resource}, which no request in the matrix uses`);
        }
      }
    }
  });
}

/** `${VAR}`, `${VAR:?message}`, `${VAR:-default}` of compose, resolved against `env`. */
function interpolate(value, env) {
  return String(value).replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_, name, kind, rest) => {
    if (env[name] !== undefined && env[name] !== "") return env[name];
    if (kind === "-") return rest;
    if (kind === "?") throw new Error(`compose would stop: ${name} unset (${rest})`);
    return "";
  });
}

/** Every variable compose.yaml interpolates, each with a value of its own. */
function distinctEnv(text) {
  const names = new Set([...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
  return Object.fromEntries([...names].map((n) => [n, `${n.toLowerCase()}-value-0123456789`]));
}

test("compose: minio-init runs the shared setup with the shared policies, one user per service, each service gets its own", () => {
  const text = read("deploy/compose/compose.yaml");
  const compose = parse(text, { merge: true });
  const env = distinctEnv(text);
  const init = compose.services["minio-init"];
  const mounts = Object.fromEntries(init.volumes.map((v) => v.split(":")).map(([src, dst]) => [dst, src]));
  const [, scriptPath, , policyPath] = init.entrypoint;
  assert.equal(mounts[scriptPath], "../../k8s/base/minio/setup-minio.sh");
  assert.equal(mounts[policyPath], `../../${POLICY_DIR}`, "the policies mounted are the shared files");

  const initEnv = Object.fromEntries(Object.entries(init.environment).map(([k, v]) => [k, interpolate(v, env)]));
  const run = runSetup(initEnv, join(REPO, POLICY_DIR));
  assert.equal(run.status, 0, run.stderr);
  const { users, policyFiles } = madeBySetup(run.calls);
  assert.equal(Object.keys(users).length, SERVICES.length, "one user per service");
  for (const service of SERVICES) {
    assert.equal(policyFiles[`ddpm-${service}`], join(REPO, POLICY_DIR, `${service}.json`));
  }
  // The root credentials open the session, nothing else; no service holds them.
  const rootUser = interpolate(compose.services.minio.environment.MINIO_ROOT_USER, env);
  const rootPassword = interpolate(compose.services.minio.environment.MINIO_ROOT_PASSWORD, env);
  assert.deepEqual(run.calls.find((c) => c[0] === "alias"), ["alias", "set", "ddpm", "http://minio:9000", rootUser, rootPassword]);

  for (const service of SERVICES) {
    const e = compose.services[service].environment;
    const access = interpolate(e.S3_ACCESS_KEY, env);
    const secret = interpolate(e.S3_SECRET_KEY, env);
    assert.notEqual(access, rootUser, `${service} does not use the root user`);
    assert.ok(users[access], `${service}'s access key is a user minio-init creates`);
    assert.equal(users[access].secret, secret, `${service}'s secret key is its user's`);
    assert.deepEqual(users[access].policies, [`ddpm-${service}`], `${service}'s user holds ${service}'s policy only`);
    for (const [name, value] of Object.entries(e)) {
      if (typeof value !== "string") continue;
      for (const v of [rootUser, rootPassword]) assert.ok(!interpolate(value, env).includes(v), `${service}.${name}: no root credentials`);
    }
  }
});

for (const overlay of ["cpu", "gpu"]) {
  test(`${overlay}: minio-setup makes one user per service from the shared policies; each Deployment gets its own`, () => {
    const objects = render(overlay);
    const job = objects.find((o) => o.kind === "Job" && o.metadata.name === "minio-setup");
    const [mc] = containers(job);
    const volumes = Object.fromEntries(podTemplate(job).spec.volumes.map((v) => [v.name, v]));
    const mountedAt = Object.fromEntries(mc.volumeMounts.map((m) => [m.mountPath, volumes[m.name]]));
    const [, script, , policyPath] = mc.command;
    assert.equal(script, "/scripts/setup-minio.sh");
    const policyMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === mountedAt[policyPath]?.configMap?.name);
    assert.ok(policyMap, `a ConfigMap is mounted at ${policyPath}`);
    // The ConfigMap holds exactly the policy files, byte for byte.
    assert.deepEqual(Object.keys(policyMap.data).sort(), SERVICES.map((s) => `${s}.json`).sort());
    const dir = mkdtempSync(join(tmpdir(), "ddpm-policies-"));
    for (const [file, content] of Object.entries(policyMap.data)) {
      assert.equal(content, readFileSync(join(REPO, POLICY_DIR, file), "utf8"), `${file} in ${policyMap.metadata.name}`);
      writeFileSync(join(dir, file), content);
    }
    const scriptMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === mountedAt["/scripts"]?.configMap?.name);
    assert.equal(scriptMap.data["setup-minio.sh"], read("k8s/base/minio/setup-minio.sh"));

    // Every Secret value stands for itself ("secret/key"), so who reads which Secret shows in the result.
    const valueOf = (e) => (e.valueFrom?.secretKeyRef ? `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}` : e.value);
    const jobEnv = Object.fromEntries(mc.env.map((e) => [e.name, valueOf(e)]));
    const run = runSetup(jobEnv, dir);
    assert.equal(run.status, 0, run.stderr);
    const { users, policyFiles } = madeBySetup(run.calls);
    assert.equal(Object.keys(users).length, SERVICES.length, "one user per service");
    for (const service of SERVICES) {
      assert.equal(policyFiles[`ddpm-${service}`], join(dir, `${service}.json`), `ddpm-${service} is made from ${service}.json`);
      const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === service);
      const env = Object.fromEntries(containers(deployment).flatMap((c) => c.env ?? []).map((e) => [e.name, valueOf(e)]));
      assert.ok(users[env.S3_ACCESS_KEY], `${service}'s access key (${env.S3_ACCESS_KEY}) is a user minio-setup creates`);
      assert.equal(users[env.S3_ACCESS_KEY].secret, env.S3_SECRET_KEY, `${service}'s secret key is its user's`);
      assert.deepEqual(users[env.S3_ACCESS_KEY].policies, [`ddpm-${service}`], `${service}'s user holds ${service}'s policy only`);
      assert.ok(!Object.values(env).some((v) => String(v).startsWith("ddpm-minio-root/")), `${service} holds no root credential`);
    }
    // Only minio-setup and MinIO itself read the root Secret.
    for (const w of objects.filter((o) => podTemplate(o))) {
      const readsRoot = containers(w).some((c) => (c.env ?? []).some((e) => e.valueFrom?.secretKeyRef?.name === "ddpm-minio-root"));
      if (readsRoot) assert.ok(["minio", "minio-setup"].includes(w.metadata.name), `${w.kind}/${w.metadata.name} reads ddpm-minio-root`);
    }
  });
}

test("setup-minio.sh refuses a user shared by two services, and a missing service credential", () => {
  const env = {
    MINIO_ROOT_USER: "root", MINIO_ROOT_PASSWORD: "root-password",
    DDPM_GATEWAY_S3_ACCESS_KEY: "gw", DDPM_GATEWAY_S3_SECRET_KEY: "gw-secret-1",
    DDPM_SAMPLER_S3_ACCESS_KEY: "sa", DDPM_SAMPLER_S3_SECRET_KEY: "sa-secret-1",
    DDPM_TRAINER_S3_ACCESS_KEY: "tr", DDPM_TRAINER_S3_SECRET_KEY: "tr-secret-1",
  };
  const policyDir = join(REPO, POLICY_DIR);
  assert.equal(runSetup(env, policyDir).status, 0);
  const shared = runSetup({ ...env, DDPM_SAMPLER_S3_ACCESS_KEY: "gw" }, policyDir);
  assert.notEqual(shared.status, 0);
  assert.match(shared.stderr, /DDPM_SAMPLER_S3_ACCESS_KEY must differ/);
  assert.deepEqual(shared.calls, [], "nothing is set up");
  const missing = runSetup({ ...env, DDPM_TRAINER_S3_SECRET_KEY: "" }, policyDir);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /DDPM_TRAINER_S3_SECRET_KEY/);
});
