// Helpers of the deployment checks: rendering the kustomize overlays, schema validation offline,
// and reading the project's own sources of truth (images.tsv, Topic.java, Buckets.java, metrics).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const OVERLAYS = ["cpu", "gpu"];

export function read(path) {
  return readFileSync(join(REPO, path), "utf8");
}

/** `kubectl kustomize` of one overlay, as plain objects. */
export function render(overlay) {
  const out = execFileSync("kubectl", ["kustomize", join(REPO, "k8s/overlays", overlay)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return parseYamlDocuments(out, `overlay ${overlay}`);
}

export function parseYamlDocuments(text, where) {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0].message}`);
      return doc.toJS();
    })
    .filter((o) => o !== null && o !== undefined);
}

export const id = (o) => `${o.kind}/${o.metadata?.name}`;

// --- schema validation -------------------------------------------------------------------------

const KUBERNETES_GROUPS = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "batch/v1": "kubernetes-models/batch/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};

/**
 * Validates one object against its API schema. Kubernetes and Prometheus-operator kinds use the
 * published OpenAPI schemas (kubernetes-models); Strimzi's CRD schemas are not obtainable offline
 * (neither npm nor Maven Central carry them), so its kinds go through strimziErrors below.
 * Returns a list of error messages (empty: valid).
 */
export async function schemaErrors(o) {
  if (o.apiVersion === "kafka.strimzi.io/v1beta2") return strimziErrors(o);
  const module = KUBERNETES_GROUPS[o.apiVersion];
  if (!module) return [`${id(o)}: no schema known for apiVersion ${o.apiVersion}`];
  const models = await import(module);
  const Model = models[o.kind];
  if (!Model) return [`${id(o)}: ${o.apiVersion} has no kind ${o.kind}`];
  try {
    new Model(o).validate();
    return [];
  } catch (e) {
    return [`${id(o)}: ${e.message}`];
  }
}

/**
 * The Strimzi fields this project uses, checked for presence, type and unknown keys (a misspelt
 * key would be dropped silently by the operator's structural schema).
 */
export function strimziErrors(o) {
  const errors = [];
  const where = id(o);
  const allowed = (obj, keys, path) => {
    for (const k of Object.keys(obj ?? {})) {
      if (!keys.includes(k)) errors.push(`${where}: unknown field ${path}.${k}`);
    }
  };
  const int = (v, path, min = 1) => {
    if (!Number.isInteger(v) || v < min) errors.push(`${where}: ${path} must be an integer >= ${min}`);
  };
  allowed(o, ["apiVersion", "kind", "metadata", "spec"], "");
  const spec = o.spec ?? {};
  switch (o.kind) {
    case "Kafka": {
      allowed(spec, ["kafka", "entityOperator", "cruiseControl", "kafkaExporter"], "spec");
      allowed(spec.kafka, ["version", "metadataVersion", "listeners", "config", "metricsConfig", "resources",
        "authorization", "rack", "template", "logging"], "spec.kafka");
      if (!Array.isArray(spec.kafka?.listeners) || spec.kafka.listeners.length === 0) {
        errors.push(`${where}: spec.kafka.listeners must list at least one listener`);
      }
      for (const [i, l] of (spec.kafka?.listeners ?? []).entries()) {
        allowed(l, ["name", "port", "type", "tls", "authentication", "configuration", "networkPolicyPeers"],
          `spec.kafka.listeners[${i}]`);
        if (!/^[a-z0-9]{1,11}$/.test(l.name ?? "")) errors.push(`${where}: listener name ${l.name} is invalid`);
        int(l.port, `listeners[${i}].port`, 9092);
        if (!["internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"].includes(l.type)) {
          errors.push(`${where}: listener type ${l.type} is unknown`);
        }
        if (typeof l.tls !== "boolean") errors.push(`${where}: listeners[${i}].tls must be a boolean`);
      }
      if (o.metadata?.annotations?.["strimzi.io/node-pools"] !== "enabled") {
        errors.push(`${where}: KRaft clusters need the annotation strimzi.io/node-pools: enabled`);
      }
      break;
    }
    case "KafkaNodePool":
      allowed(spec, ["replicas", "roles", "storage", "resources", "jvmOptions", "template"], "spec");
      int(spec.replicas, "spec.replicas");
      if (!Array.isArray(spec.roles) || spec.roles.length === 0
          || !spec.roles.every((r) => ["controller", "broker"].includes(r))) {
        errors.push(`${where}: spec.roles must be controller and/or broker`);
      }
      if (!["jbod", "persistent-claim", "ephemeral"].includes(spec.storage?.type)) {
        errors.push(`${where}: spec.storage.type ${spec.storage?.type} is unknown`);
      }
      break;
    case "KafkaUser": {
      allowed(spec, ["authentication", "authorization", "quotas", "template"], "spec");
      if (!["tls", "tls-external", "scram-sha-512"].includes(spec.authentication?.type)) {
        errors.push(`${where}: spec.authentication.type ${spec.authentication?.type} is unknown`);
      }
      allowed(spec.authorization, ["type", "acls"], "spec.authorization");
      for (const [i, acl] of (spec.authorization?.acls ?? []).entries()) {
        allowed(acl, ["resource", "operations", "host", "type"], `spec.authorization.acls[${i}]`);
        allowed(acl.resource, ["type", "name", "patternType"], `spec.authorization.acls[${i}].resource`);
        if (!["topic", "group", "cluster", "transactionalId"].includes(acl.resource?.type)) {
          errors.push(`${where}: acls[${i}].resource.type ${acl.resource?.type} is unknown`);
        }
        if (!["literal", "prefix", undefined].includes(acl.resource?.patternType)) {
          errors.push(`${where}: acls[${i}].resource.patternType ${acl.resource?.patternType} is unknown`);
        }
        const known = ["Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "AlterConfigs",
          "DescribeConfigs", "IdempotentWrite", "All"];
        if (!Array.isArray(acl.operations) || acl.operations.length === 0
            || !acl.operations.every((op) => known.includes(op))) {
          errors.push(`${where}: acls[${i}].operations must list operations of ${known.join(", ")}`);
        }
      }
      break;
    }
    case "KafkaTopic":
      allowed(spec, ["topicName", "partitions", "replicas", "config"], "spec");
      int(spec.partitions, "spec.partitions");
      int(spec.replicas, "spec.replicas");
      if (typeof spec.topicName !== "string") errors.push(`${where}: spec.topicName must be a string`);
      break;
    default:
      errors.push(`${where}: Strimzi kind ${o.kind} is not used by this project`);
  }
  if (o.kind !== "Kafka" && !o.metadata?.labels?.["strimzi.io/cluster"]) {
    errors.push(`${where}: needs the label strimzi.io/cluster`);
  }
  return errors;
}

// --- pods ----------------------------------------------------------------------------------------

/** Pod template of a workload (Deployment, StatefulSet, Job, CronJob), or undefined. */
export function podTemplate(o) {
  if (o.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template;
  if (["Deployment", "StatefulSet", "Job", "DaemonSet"].includes(o.kind)) return o.spec?.template;
  return undefined;
}

export function workloads(objects) {
  return objects.filter((o) => podTemplate(o) !== undefined);
}

export function containers(o) {
  const spec = podTemplate(o)?.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** Label selector semantics of Kubernetes (matchLabels and matchExpressions). */
export function selects(selector, labels) {
  if (!selector) return false;
  const plain = selector.matchLabels || selector.matchExpressions ? selector.matchLabels ?? {} : selector;
  for (const [k, v] of Object.entries(plain)) if (labels?.[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = labels && Object.hasOwn(labels, e.key);
    if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

// --- the project's own sources of truth ---------------------------------------------------------

export function projectVersion() {
  return read("pom.xml").match(/<artifactId>ddpm-parent<\/artifactId>\s*<version>([^<]+)<\/version>/)[1];
}

/** deploy/docker/images.tsv: { image, module, variant, dockerfile, flags }. */
export function builtImages() {
  return read("deploy/docker/images.tsv")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => {
      const [image, module, variant, dockerfile, flags] = l.split("\t");
      return { image, module, variant, dockerfile, flags: flags ?? "" };
    });
}

/** ddpm-core's Topic enum: { name, partitions, compacted }. */
export function designTopics() {
  const src = read("ddpm-core/src/main/java/dev/ddpm/core/events/Topic.java");
  const topics = [...src.matchAll(/\w+\("([^"]+)", (\d+), (true|false)\)/g)]
    .map(([, name, partitions, compacted]) => ({ name, partitions: Number(partitions), compacted: compacted === "true" }));
  const retention = src.match(/Duration RETENTION = Duration\.ofDays\((\d+)\)/);
  const retentionMs = Number(retention[1]) * 24 * 3600 * 1000;
  return { topics, retentionMs };
}

/** ddpm-core's Buckets constants. */
export function designBuckets() {
  const src = read("ddpm-core/src/main/java/dev/ddpm/core/storage/Buckets.java");
  return [...src.matchAll(/static final String \w+ = "([^"]+)"/g)].map((m) => m[1]);
}

function javaFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...javaFiles(p));
    else if (p.endsWith(".java")) out.push(p);
  }
  return out;
}

/** Prometheus names of the meters the services register (Micrometer: dots become underscores). */
export function registeredMetrics() {
  const names = new Set();
  for (const module of ["ddpm-service-common", "gateway", "sampler-service", "trainer-service"]) {
    for (const file of javaFiles(join(REPO, module, "src/main/java"))) {
      const src = readFileSync(file, "utf8");
      const meter = /(?:gauge|counter|timer|summary|builder)\(\s*"(ddpm[._][a-z0-9_.]+)"/g;
      for (const m of src.matchAll(meter)) names.add(m[1].replaceAll(".", "_"));
    }
  }
  return names;
}

export function exists(path) {
  return existsSync(join(REPO, path));
}
