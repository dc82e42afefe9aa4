// The services' S3 policies (k8s/base/minio/policies): MinIO's grammar as a JSON schema plus the rules
// MinIO adds when it loads a policy, an evaluator with IAM's semantics (explicit Deny wins, an Allow is
// needed, `*` and `?` wildcards), and a run of setup-minio.sh against a recording stand-in for `mc`.
// MinIO itself is not installable here and the local S3 server (S3Proxy) enforces no policies, so
// these checks are what stands between a widened policy and a deployment.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import { REPO, read } from "./manifests.mjs";

export const POLICY_DIR = "k8s/base/minio/policies";
export const SERVICES = ["gateway", "sampler", "trainer"];

/** { service: policy } for every file in the policy directory. */
export function policies() {
  return Object.fromEntries(readdirSync(join(REPO, POLICY_DIR))
    .filter((f) => f.endsWith(".json"))
    .map((f) => [f.replace(/\.json$/, ""), JSON.parse(read(`${POLICY_DIR}/${f}`))]));
}

const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
  .compile(JSON.parse(readFileSync(new URL("./minio-policy.schema.json", import.meta.url), "utf8")));

/** Errors of the JSON schema of MinIO's policy grammar (empty: valid). */
export function grammarErrors(policy) {
  return validate(policy) ? [] : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
}

/** Object-level actions: MinIO refuses a statement that gives one of them no object resource (bucket/key). */
const OBJECT_ACTIONS = new Set(["s3:AbortMultipartUpload", "s3:BypassGovernanceRetention", "s3:DeleteObject",
  "s3:DeleteObjectTagging", "s3:DeleteObjectVersion", "s3:DeleteObjectVersionTagging", "s3:GetObject",
  "s3:GetObjectAttributes", "s3:GetObjectLegalHold", "s3:GetObjectRetention", "s3:GetObjectTagging",
  "s3:GetObjectVersion", "s3:GetObjectVersionAttributes", "s3:GetObjectVersionTagging",
  "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectLegalHold", "s3:PutObjectRetention",
  "s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:ReplicateDelete", "s3:ReplicateObject",
  "s3:ReplicateTags", "s3:RestoreObject"]);
/** The condition keys MinIO accepts per action beyond the global aws:* ones (the rest take none). */
const ACTION_CONDITION_KEYS = {
  "s3:ListBucket": ["s3:prefix", "s3:delimiter", "s3:max-keys"],
  "s3:ListBucketVersions": ["s3:prefix", "s3:delimiter", "s3:max-keys"],
  "s3:PutObject": ["s3:x-amz-copy-source", "s3:x-amz-server-side-encryption", "s3:x-amz-metadata-directive",
    "s3:x-amz-storage-class", "s3:object-lock-mode", "s3:RequestObjectTag", "s3:RequestObjectTagKeys"],
  "s3:GetObject": ["s3:versionid", "s3:ExistingObjectTag"],
};

export const list = (v) => (Array.isArray(v) ? v : [v]);
const bucketOf = (resource) => resource.replace(/^arn:aws:s3:::/, "").split("/")[0];
const isObjectResource = (resource) => resource.replace(/^arn:aws:s3:::/, "").includes("/");

/** The checks MinIO makes beyond the grammar when a policy is created (it refuses the policy otherwise). */
export function minioRuleErrors(policy) {
  const errors = [];
  for (const [i, s] of policy.Statement.entries()) {
    const resources = list(s.Resource);
    const conditionKeys = Object.values(s.Condition ?? {}).flatMap((byKey) => Object.keys(byKey));
    for (const action of list(s.Action)) {
      if (action.includes("*") || action.includes("?")) continue;
      if (OBJECT_ACTIONS.has(action) && !resources.some(isObjectResource)) {
        errors.push(`Statement[${i}]: ${action} needs an object resource (bucket/key pattern)`);
      }
      if (!OBJECT_ACTIONS.has(action) && !resources.some((r) => !isObjectResource(r))) {
        errors.push(`Statement[${i}]: ${action} needs a bucket resource`);
      }
      for (const key of conditionKeys) {
        if (!key.startsWith("aws:") && !(ACTION_CONDITION_KEYS[action] ?? []).includes(key)) {
          errors.push(`Statement[${i}]: condition key ${key} does not apply to ${action}`);
        }
      }
    }
    for (const r of resources) {
      if (bucketOf(r) === "") errors.push(`Statement[${i}]: resource ${r} names no bucket`);
    }
  }
  return errors;
}

/** IAM's wildcard match: `*` any run of characters (slashes included), `?` exactly one. */
export function wildcardMatch(pattern, value, ignoreCase = false) {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${escaped}$`, ignoreCase ? "is" : "s").test(value);
}

const CONDITIONS = {
  StringEquals: (want, have) => have !== undefined && want.includes(have),
  StringNotEquals: (want, have) => have === undefined || !want.includes(have),
  StringLike: (want, have) => have !== undefined && want.some((w) => wildcardMatch(w, have)),
  StringNotLike: (want, have) => have === undefined || !want.some((w) => wildcardMatch(w, have)),
};

function conditionHolds(condition, context) {
  for (const [operator, byKey] of Object.entries(condition ?? {})) {
    const test = CONDITIONS[operator];
    if (!test) throw new Error(`the evaluator does not know the condition operator ${operator}`);
    for (const [key, want] of Object.entries(byKey)) {
      if (!test(list(want).map(String), context[key])) return false;
    }
  }
  return true;
}

function statementApplies(s, action, resource, context) {
  return list(s.Action).some((a) => wildcardMatch(a, action, true))
    && list(s.Resource).some((r) => wildcardMatch(r, resource))
    && conditionHolds(s.Condition, context);
}

/**
 * IAM's decision for one request: "deny" (an explicit Deny applies), "allow" (an Allow applies and no
 * Deny), or "implicit-deny" (nothing applies).
 * @param request { action: "s3:GetObject", path: "bucket/key" | "bucket" | "*", context: { "s3:prefix": ... } }
 */
export function decide(policy, { action, path, context = {} }) {
  const resource = `arn:aws:s3:::${path}`;
  const applying = policy.Statement.filter((s) => statementApplies(s, action, resource, context));
  if (applying.some((s) => s.Effect === "Deny")) return "deny";
  return applying.some((s) => s.Effect === "Allow") ? "allow" : "implicit-deny";
}

/** Does this statement's (action, resource) pair cover the request? (For "every right is used".) */
export function covers(action, resourcePattern, request) {
  return wildcardMatch(action, request.action, true) && wildcardMatch(resourcePattern, `arn:aws:s3:::${request.path}`);
}

/**
 * Runs k8s/base/minio/setup-minio.sh with `env` and POLICY_DIR = `policyDir` against a stand-in `mc`
 * that records every call. Returns { status, stderr, calls: [[arg, ...], ...] }.
 */
export function runSetup(env, policyDir) {
  const bin = mkdtempSync(join(tmpdir(), "ddpm-mc-"));
  const log = join(bin, "calls");
  writeFileSync(log, "");
  writeFileSync(join(bin, "mc"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\t' "$a"; done >> '${log}'\necho >> '${log}'\n`);
  chmodSync(join(bin, "mc"), 0o755);
  let status = 0;
  let stderr = "";
  try {
    execFileSync("sh", [join(REPO, "k8s/base/minio/setup-minio.sh"), "http://minio:9000", policyDir], {
      env: { PATH: `${bin}:${process.env.PATH}`, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    status = e.status ?? 1;
    stderr = String(e.stderr);
  }
  const calls = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => l.replace(/\t$/, "").split("\t"));
  return { status, stderr, calls };
}

/** What the setup made: { accessKey: { secret, policies: [name] } } and { policyName: file }. */
export function madeBySetup(calls) {
  const users = {};
  const policyFiles = {};
  for (const c of calls) {
    const [verb, noun, op] = c;
    if (verb !== "admin") continue;
    if (noun === "user" && op === "add") users[c[4]] = { secret: c[5], policies: [] };
    if (noun === "policy" && op === "create") policyFiles[c[4]] = c[5];
  }
  for (const c of calls) {
    if (c[0] === "admin" && c[1] === "policy" && c[2] === "attach") {
      const user = c[c.indexOf("--user") + 1];
      users[user]?.policies.push(c[4]);
    }
  }
  return { users, policyFiles };
}
