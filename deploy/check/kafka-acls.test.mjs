// Kafka in Kubernetes, checked on the rendered overlays: the listener takes only SCRAM logins over TLS
// with ACLs enforced, and each client's KafkaUser may touch exactly the topics and consumer groups its
// code uses. The services' side is read from their application.properties (the channels: topic,
// group.id, dead-letter topic), so a channel added without its ACL, or an ACL left behind, fails here.
// Run: deploy/check/run.sh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { OVERLAYS, containers, designTopics, id, podTemplate, read, render, workloads } from "./manifests.mjs";

/** Each KafkaUser of a service, and the module whose application.properties it runs. */
const SERVICE_USERS = { gateway: "gateway", sampler: "sampler-service", trainer: "trainer-service" };
const UUID = "${quarkus.uuid}";

/** A .properties file as a map (default profile only; no line continuations in these files). */
export function parseProperties(text) {
  const props = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("!") || line.startsWith("%")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    props[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return props;
}

/**
 * What a service's channels need from Kafka, as ACL strings "type:pattern:name:Operation": incoming
 * channels Read their topic and their group (a prefix where the group id ends in a per-replica uuid),
 * a dead-letter strategy Writes its dead-letter topic, outgoing channels Write their topic; Describe
 * on every topic used. The readiness check (DependencyMonitor) lists every design topic: Describe on
 * the "ddpm." prefix.
 */
export function aclsFromProperties(module) {
  const props = parseProperties(read(`${module}/src/main/resources/application.properties`));
  const serviceName = props["ddpm.service-name"];
  const expand = (v) => v.replaceAll("${ddpm.service-name}", serviceName);
  const acls = new Set(["topic:prefix:ddpm.:Describe"]);
  const topic = (name, op) => {
    acls.add(`topic:literal:${name}:${op}`);
    acls.add(`topic:literal:${name}:Describe`);
  };
  for (const key of Object.keys(props)) {
    const m = key.match(/^mp\.messaging\.(incoming|outgoing)\.([^.]+)\.connector$/);
    if (!m || props[key] !== "smallrye-kafka") continue;
    const [, direction, channel] = m;
    const attr = (a) => props[`mp.messaging.${direction}.${channel}.${a}`];
    if (attr("enabled") === "false") continue;
    const name = attr("topic") ?? channel;
    if (direction === "outgoing") {
      topic(name, "Write");
      continue;
    }
    topic(name, "Read");
    const group = expand(attr("group.id") ?? serviceName);
    acls.add(group.includes(UUID)
      ? `group:prefix:${group.slice(0, group.indexOf(UUID))}:Read`
      : `group:literal:${group}:Read`);
    if (attr("failure-strategy") === "dead-letter-queue") {
      topic(attr("dead-letter-queue.topic") ?? `dead-letter-topic-${name}`, "Write");
    }
  }
  return acls;
}

export function aclsOfUser(user) {
  const acls = new Set();
  for (const acl of user.spec.authorization?.acls ?? []) {
    for (const op of acl.operations) {
      acls.add(`${acl.resource.type}:${acl.resource.patternType ?? "literal"}:${acl.resource.name ?? ""}:${op}`);
    }
  }
  return acls;
}

const sorted = (set) => [...set].sort();
const named = (objects, kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const envOf = (c) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));

for (const overlay of OVERLAYS) {
  const objects = render(overlay);
  const users = objects.filter((o) => o.kind === "KafkaUser");
  const kafka = named(objects, "Kafka", "ddpm");

  test(`${overlay}: the Kafka listener takes only SCRAM logins over TLS, with ACLs enforced`, () => {
    assert.ok(kafka.spec.kafka.listeners.length > 0);
    for (const l of kafka.spec.kafka.listeners) {
      assert.equal(l.tls, true, `listener ${l.name} encrypts`);
      assert.equal(l.authentication?.type, "scram-sha-512", `listener ${l.name} requires a SCRAM login`);
    }
    assert.equal(kafka.spec.kafka.authorization?.type, "simple", "ACLs are enforced");
    assert.deepEqual(kafka.spec.kafka.authorization.superUsers ?? [], [], "no super users besides Strimzi's own");
    assert.ok(kafka.spec.entityOperator?.userOperator, "the user operator turns KafkaUsers into credentials and ACLs");
  });

  test(`${overlay}: each service's KafkaUser allows exactly what its channels use`, () => {
    for (const [user, module] of Object.entries(SERVICE_USERS)) {
      const ku = named(objects, "KafkaUser", user);
      assert.ok(ku, `KafkaUser ${user}`);
      assert.deepEqual(sorted(aclsOfUser(ku)), sorted(aclsFromProperties(module)),
        `KafkaUser ${user} against ${module}/src/main/resources/application.properties`);
    }
  });

  test(`${overlay}: the job and MinIO may only write the one topic they send to`, () => {
    const job = named(objects, "CronJob", "scheduled-retraining");
    // request-training sends one TrainingRequested (RequestTrainingCommand) to the requests topic.
    assert.equal(containers(job)[0].args[1], "request-training");
    const requests = designTopics().topics.find((t) => t.name.endsWith("training-requests")).name;
    assert.deepEqual(sorted(aclsOfUser(named(objects, "KafkaUser", "scheduled-retraining"))),
      [`topic:literal:${requests}:Describe`, `topic:literal:${requests}:Write`]);
    const minio = containers(named(objects, "StatefulSet", "minio"))[0];
    const notified = envOf(minio).MINIO_NOTIFY_KAFKA_TOPIC_PRIMARY.value;
    assert.deepEqual(sorted(aclsOfUser(named(objects, "KafkaUser", "minio"))),
      [`topic:literal:${notified}:Describe`, `topic:literal:${notified}:Write`]);
  });

  test(`${overlay}: every KafkaUser logs in with SCRAM, names no wildcard and may not manage the cluster`, () => {
    assert.deepEqual(users.map((u) => u.metadata.name).sort(),
      [...Object.keys(SERVICE_USERS), "minio", "scheduled-retraining"].sort(), "one user per Kafka client");
    for (const u of users) {
      assert.equal(u.spec.authentication?.type, "scram-sha-512", `${id(u)} authentication`);
      assert.equal(u.spec.authorization?.type, "simple", `${id(u)} authorization`);
      assert.equal(u.metadata.labels?.["strimzi.io/cluster"], kafka.metadata.name, `${id(u)} belongs to the cluster`);
      for (const acl of u.spec.authorization.acls) {
        assert.notEqual(acl.resource.type, "cluster", `${id(u)}: no cluster rights`);
        assert.notEqual(acl.resource.name, "*", `${id(u)}: no wildcard`);
        for (const op of acl.operations) {
          assert.ok(["Read", "Write", "Describe"].includes(op), `${id(u)}: ${op} on ${acl.resource.name} (topics are KafkaTopics)`);
        }
        if (acl.resource.patternType === "prefix") {
          assert.ok(acl.operations.every((op) => op === (acl.resource.type === "group" ? "Read" : "Describe")),
            `${id(u)}: a prefix grants only Describe (topics) or Read (groups): ${acl.resource.name}`);
        }
      }
    }
  });

  test(`${overlay}: only a topic's producers may write it`, () => {
    const writers = {};
    const produced = {};
    for (const u of users) {
      for (const a of aclsOfUser(u)) {
        const [type, , name, op] = a.split(":");
        if (type === "topic" && op === "Write") (writers[name] ??= new Set()).add(u.metadata.name);
      }
    }
    for (const [user, module] of Object.entries(SERVICE_USERS)) {
      for (const a of aclsFromProperties(module)) {
        const [, , name, op] = a.split(":");
        if (op === "Write") (produced[name] ??= new Set()).add(user);
      }
    }
    for (const [name, who] of Object.entries(writers)) {
      const services = [...who].filter((u) => u in SERVICE_USERS);
      assert.deepEqual(services.sort(), sorted(produced[name] ?? new Set()), `writers of ${name}`);
    }
    // Two the design names: training events come only from the trainer, results only from samplers.
    assert.deepEqual(sorted(writers["ddpm.training-events"]), ["trainer"]);
    assert.deepEqual(sorted(writers["ddpm.sample-results"]), ["sampler"]);
  });

  test(`${overlay}: every Kafka client connects as its own user, over TLS, trusting the cluster CA`, () => {
    const connections = named(objects, "ConfigMap", "ddpm-connections").data;
    const listener = kafka.spec.kafka.listeners[0];
    assert.equal(connections.KAFKA_BOOTSTRAP_SERVERS, `${kafka.metadata.name}-kafka-bootstrap:${listener.port}`);
    assert.equal(connections.KAFKA_SECURITY_PROTOCOL, "SASL_SSL");
    assert.equal(connections.KAFKA_SASL_MECHANISM, "SCRAM-SHA-512");
    assert.equal(connections.KAFKA_SSL_TRUSTSTORE_TYPE, "PEM");
    const caDir = dirname(connections.KAFKA_SSL_TRUSTSTORE_LOCATION);
    const clients = workloads(objects).filter((w) => containers(w)
      .some((c) => (c.envFrom ?? []).some((e) => e.configMapRef?.name === "ddpm-connections")));
    assert.deepEqual(clients.map((w) => w.metadata.labels["app.kubernetes.io/name"]).sort(),
      ["gateway", "sampler", "scheduled-retraining", "trainer"]);
    for (const w of clients) {
      const app = w.metadata.labels["app.kubernetes.io/name"];
      for (const c of containers(w)) {
        const jaas = envOf(c).KAFKA_SASL_JAAS_CONFIG?.valueFrom?.secretKeyRef;
        assert.deepEqual(jaas, { name: app, key: "sasl.jaas.config" }, `${id(w)}/${c.name} logs in as KafkaUser ${app}`);
        const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === caDir);
        assert.ok(mount, `${id(w)}/${c.name} mounts the CA at ${caDir}`);
        const volume = podTemplate(w).spec.volumes.find((v) => v.name === mount.name);
        assert.equal(volume.secret?.secretName, `${kafka.metadata.name}-cluster-ca-cert`, `${id(w)}: the cluster CA`);
      }
    }
    const minio = containers(named(objects, "StatefulSet", "minio"))[0];
    const env = envOf(minio);
    assert.equal(env.MINIO_NOTIFY_KAFKA_BROKERS_PRIMARY.value, connections.KAFKA_BOOTSTRAP_SERVERS);
    assert.equal(env.MINIO_NOTIFY_KAFKA_TLS_PRIMARY.value, "on");
    assert.equal(env.MINIO_NOTIFY_KAFKA_SASL_PRIMARY.value, "on");
    assert.equal(env.MINIO_NOTIFY_KAFKA_SASL_MECHANISM_PRIMARY.value, "sha512");
    assert.equal(env.MINIO_NOTIFY_KAFKA_SASL_USERNAME_PRIMARY.value, "minio");
    assert.deepEqual(env.MINIO_NOTIFY_KAFKA_SASL_PASSWORD_PRIMARY.valueFrom.secretKeyRef, { name: "minio", key: "password" });
  });
}
