// The network policies, checked on the rendered overlays: every pod of the namespace starts from
// "no connections out", each workload may open exactly the connections its design needs (Kafka's TLS
// listener, MinIO, the samplers for the gateway, DNS for all), nothing opens one to the trainer,
// Prometheus reaches only the metrics port and MinIO admits only its clients.
// Run: deploy/check/run.sh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OVERLAYS, containers, id, podTemplate, render, selects, workloads } from "./manifests.mjs";

/** Where each workload may connect to (besides DNS): the design, by destination and its port. */
const EGRESS = {
  gateway: ["kafka", "minio", "sampler"],
  sampler: ["kafka", "minio"],
  trainer: ["kafka", "minio"],
  "scheduled-retraining": ["kafka"],
  minio: ["kafka"],
  "minio-setup": ["minio"],
};
/** Labels Strimzi gives the pods it makes for the Kafka CR "ddpm" (not in the rendered manifests). */
const STRIMZI_PODS = {
  kafka: { "strimzi.io/cluster": "ddpm", "strimzi.io/kind": "Kafka", "strimzi.io/name": "ddpm-kafka" },
  "entity-operator": { "strimzi.io/cluster": "ddpm", "strimzi.io/kind": "Kafka", "strimzi.io/name": "ddpm-entity-operator" },
};

const named = (objects, kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const isEmptySelector = (s) => Object.keys(s ?? {}).length === 0;
const appOf = (labels) => labels["app.kubernetes.io/name"];

for (const overlay of OVERLAYS) {
  const objects = render(overlay);
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  const pods = [
    ...workloads(objects).map((w) => ({ name: appOf(podTemplate(w).metadata.labels), w, labels: podTemplate(w).metadata.labels })),
    ...Object.entries(STRIMZI_PODS).map(([name, labels]) => ({ name, labels })),
  ];
  const kafka = named(objects, "Kafka", "ddpm");
  /** The port each destination serves its clients on, from the manifests. */
  const portOf = {
    kafka: kafka.spec.kafka.listeners.find((l) => l.tls && l.authentication).port,
    minio: named(objects, "Service", "minio").spec.ports.find((p) => p.name === "s3").port,
    sampler: containers(named(objects, "Deployment", "sampler"))[0].ports.find((p) => p.name === "http").containerPort,
  };
  const egressPolicies = policies.filter((p) => p.spec.policyTypes.includes("Egress"));
  const isDns = (rule) => rule.to?.some((t) => t.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "kube-system");

  /** "destination:port" for every egress rule that applies to a pod's labels (DNS aside). */
  function egressOf(labels) {
    const allowed = new Set();
    for (const p of egressPolicies.filter((p) => selects(p.spec.podSelector, labels) || isEmptySelector(p.spec.podSelector))) {
      for (const rule of p.spec.egress ?? []) {
        if (isDns(rule)) continue;
        assert.ok(rule.to?.length > 0, `${id(p)}: an egress rule without "to" opens every address`);
        for (const to of rule.to) {
          assert.ok(!to.ipBlock && !to.namespaceSelector, `${id(p)}: egress only to pods of this namespace`);
          const targets = pods.filter((t) => selects(to.podSelector, t.labels)).map((t) => t.name);
          assert.equal(targets.length, 1, `${id(p)}: ${JSON.stringify(to.podSelector)} names one workload`);
          assert.ok(rule.ports?.length > 0, `${id(p)}: egress to ${targets[0]} names its ports`);
          for (const port of rule.ports) allowed.add(`${targets[0]}:${port.port}`);
        }
      }
    }
    return [...allowed].sort();
  }

  test(`${overlay}: every pod starts from "no connections out", with DNS allowed`, () => {
    const deny = policies.filter((p) => isEmptySelector(p.spec.podSelector) && p.spec.policyTypes.includes("Egress")
      && (p.spec.egress ?? []).length === 0);
    assert.equal(deny.length, 1, "one default-deny egress policy selecting every pod of the namespace");
    const dns = policies.filter((p) => isEmptySelector(p.spec.podSelector) && (p.spec.egress ?? []).length > 0);
    assert.equal(dns.length, 1, "the only egress for every pod is DNS");
    assert.deepEqual(dns[0].spec.egress, [{
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
        podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
      ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
    }]);
    assert.deepEqual(workloads(objects).map((w) => appOf(podTemplate(w).metadata.labels)).sort(), Object.keys(EGRESS).sort(),
      "the design above names every workload's destinations");
  });

  test(`${overlay}: each workload may connect only to its design's destinations`, () => {
    for (const [name, destinations] of Object.entries(EGRESS)) {
      const { labels } = pods.find((p) => p.name === name);
      assert.deepEqual(egressOf(labels), destinations.map((d) => `${d}:${portOf[d]}`).sort(), `egress of ${name}`);
    }
  });

  test(`${overlay}: nothing in the namespace connects to the trainer; only Prometheus reaches it`, () => {
    const trainer = pods.find((p) => p.name === "trainer").labels;
    for (const p of egressPolicies) {
      for (const rule of p.spec.egress ?? []) {
        for (const to of rule.to ?? []) assert.ok(!selects(to.podSelector, trainer), `${id(p)} opens the trainer`);
      }
    }
    const ingress = policies.filter((p) => p.spec.policyTypes.includes("Ingress") && (p.spec.ingress ?? []).length > 0
      && selects(p.spec.podSelector, trainer));
    assert.deepEqual(ingress.map((p) => p.metadata.name), ["metrics-from-monitoring"]);
  });

  test(`${overlay}: Strimzi's own pods reach only each other (and the user/topic operators the Kubernetes API)`, () => {
    assert.deepEqual(egressOf(STRIMZI_PODS.kafka), ["kafka:9090", "kafka:9091"]);
    const operator = egressPolicies.filter((p) => selects(p.spec.podSelector, STRIMZI_PODS["entity-operator"]));
    const rules = operator.flatMap((p) => p.spec.egress ?? []).filter((r) => !isDns(r));
    const toPods = rules.filter((r) => r.to);
    assert.deepEqual(toPods.flatMap((r) => r.ports.map((port) => port.port)), [9091]);
    assert.ok(toPods.every((r) => r.to.every((t) => selects(t.podSelector, STRIMZI_PODS.kafka))));
    const api = rules.filter((r) => !r.to);
    assert.deepEqual(api.flatMap((r) => r.ports.map((port) => port.port)).sort(), [443, 6443], "the Kubernetes API only");
  });

  test(`${overlay}: Prometheus reaches the services on their metrics port only`, () => {
    const monitor = named(objects, "ServiceMonitor", "ddpm-services");
    assert.equal(monitor.spec.endpoints.length, 1);
    const { port: metricsPort, path } = monitor.spec.endpoints[0];
    assert.equal(path, "/q/metrics");
    const fromMonitoring = policies.filter((p) => (p.spec.ingress ?? []).some((r) => (r.from ?? [])
      .some((f) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "monitoring")));
    assert.equal(fromMonitoring.length, 1);
    const [policy] = fromMonitoring;
    for (const rule of policy.spec.ingress) assert.deepEqual(rule.ports, [{ port: metricsPort, protocol: "TCP" }]);
    const scraped = pods.filter((p) => p.w && selects(policy.spec.podSelector, p.labels)).map((p) => p.name).sort();
    assert.deepEqual(scraped, ["gateway", "sampler", "trainer"], "only the scraped services, not MinIO");
    for (const name of scraped) {
      const ports = containers(pods.find((p) => p.name === name).w).flatMap((c) => c.ports ?? []);
      assert.ok(ports.some((p) => p.name === metricsPort), `${name} names a port ${metricsPort}`);
    }
  });

  test(`${overlay}: MinIO admits the three services and its setup job, nothing else`, () => {
    const minio = pods.find((p) => p.name === "minio").labels;
    const admitted = new Set();
    for (const p of policies.filter((p) => (p.spec.ingress ?? []).length > 0 && selects(p.spec.podSelector, minio))) {
      for (const rule of p.spec.ingress) {
        assert.deepEqual(rule.ports, [{ port: portOf.minio, protocol: "TCP" }], `${id(p)}: the S3 port only`);
        for (const from of rule.from ?? []) {
          assert.ok(!from.namespaceSelector && !from.ipBlock, `${id(p)}: from this namespace's pods only`);
          for (const pod of pods.filter((t) => selects(from.podSelector, t.labels))) admitted.add(pod.name);
        }
      }
    }
    assert.deepEqual([...admitted].sort(), ["gateway", "minio-setup", "sampler", "trainer"]);
  });
}
