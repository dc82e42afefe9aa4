// The deployment, checked without a cluster: every kustomize overlay renders, every object is valid
// against its API schema, and the rules docs/deployment.md promises hold (GPU requests, no secrets in
// manifests, probes, network policies, images the build makes, topics and buckets of the design).
// Run: deploy/check/run.sh (scripts/test.sh runs it after the Maven build).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  OVERLAYS, builtImages, containers, designBuckets, designTopics, exists, id, parseYamlDocuments,
  podTemplate, projectVersion, read, registeredMetrics, render, schemaErrors, selects, workloads,
} from "./manifests.mjs";

const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(o)]));
const OUR_SERVICES = { gateway: "ddpm/gateway", sampler: "ddpm/sampler-service", trainer: "ddpm/trainer-service" };
const GPU_SERVICES = ["sampler", "trainer"];
const SECRET_LIKE = /(SECRET|PASSWORD|ACCESS_KEY|SHA256|TOKEN|CREDENTIAL)/i;

const byKind = (objects, kind) => objects.filter((o) => o.kind === kind);
const named = (objects, kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
/** Every image:tag the build makes (images.tsv x project version). */
const builtTags = () => new Set(builtImages().map((i) => `${i.image}:${projectVersion()}-${i.variant}`));
const envOf = (container) => Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));

for (const overlay of OVERLAYS) {
  const objects = rendered[overlay];

  test(`${overlay}: renders the whole system`, () => {
    for (const name of Object.keys(OUR_SERVICES)) assert.ok(named(objects, "Deployment", name), `Deployment ${name}`);
    for (const [kind, name] of [["StatefulSet", "minio"], ["Kafka", "ddpm"], ["HorizontalPodAutoscaler", "sampler"],
      ["Service", "sampler-headless"], ["ServiceMonitor", "ddpm-services"], ["CronJob", "scheduled-retraining"],
      ["ConfigMap", "ddpm-grafana-dashboard"]]) {
      assert.ok(named(objects, kind, name), `${kind} ${name} in overlay ${overlay}`);
    }
    for (const o of objects) {
      if (o.kind !== "Namespace") assert.equal(o.metadata.namespace, "ddpm", `${id(o)} namespace`);
    }
  });

  test(`${overlay}: every object validates against its API schema`, async () => {
    const errors = (await Promise.all(objects.map(schemaErrors))).flat();
    assert.deepEqual(errors, []);
  });

  test(`${overlay}: GPU requests exactly where the overlay promises them`, () => {
    for (const w of workloads(objects)) {
      const spec = podTemplate(w).spec;
      for (const c of containers(w)) {
        const gpus = Number(c.resources?.limits?.["nvidia.com/gpu"] ?? 0);
        const wantsGpu = overlay === "gpu" && w.kind === "Deployment" && GPU_SERVICES.includes(w.metadata.name);
        assert.equal(gpus > 0, wantsGpu, `${id(w)}/${c.name}: nvidia.com/gpu limit ${gpus}`);
        if (wantsGpu) {
          assert.equal(c.resources.requests?.["nvidia.com/gpu"], c.resources.limits["nvidia.com/gpu"],
            `${id(w)}: GPU request equals its limit`);
          assert.equal(spec.nodeSelector?.["nvidia.com/gpu.present"], "true", `${id(w)} runs on GPU nodes`);
          assert.ok(spec.tolerations?.some((t) => t.key === "nvidia.com/gpu"), `${id(w)} tolerates the GPU taint`);
          assert.match(c.image, /-gpu$/, `${id(w)} runs the CUDA image`);
        }
      }
    }
    const sampler = named(objects, "Deployment", "sampler");
    const trainer = named(objects, "Deployment", "trainer");
    assert.equal(envOf(containers(sampler)[0]).SAMPLER_EXECUTION_PROVIDER.value, overlay === "gpu" ? "cuda" : "cpu");
    assert.equal(envOf(containers(trainer)[0]).TRAINER_DEVICE.value, overlay === "gpu" ? "gpu" : "cpu");
  });

  test(`${overlay}: no secret values in the manifests`, () => {
    const secrets = byKind(objects, "Secret").map(id);
    assert.deepEqual(secrets, [], "Secrets are created outside the manifests (docs/deployment.md)");
    for (const cm of byKind(objects, "ConfigMap")) {
      for (const key of Object.keys(cm.data ?? {})) assert.doesNotMatch(key, SECRET_LIKE, `${id(cm)} key ${key}`);
    }
    const deployDoc = read("docs/deployment.md");
    for (const w of workloads(objects)) {
      for (const c of containers(w)) {
        for (const e of c.env ?? []) {
          if (SECRET_LIKE.test(e.name)) {
            assert.ok(e.valueFrom?.secretKeyRef, `${id(w)}/${c.name}: ${e.name} must come from a Secret`);
            const ref = e.valueFrom.secretKeyRef;
            assert.ok(deployDoc.includes(ref.name) && deployDoc.includes(ref.key),
              `docs/deployment.md tells how to create Secret ${ref.name} with key ${ref.key}`);
          }
        }
      }
    }
  });

  test(`${overlay}: probes on every long-running container, resources on every container`, () => {
    for (const w of workloads(objects)) {
      const longRunning = ["Deployment", "StatefulSet"].includes(w.kind);
      for (const c of containers(w)) {
        for (const r of ["cpu", "memory"]) {
          assert.ok(c.resources?.requests?.[r], `${id(w)}/${c.name} requests ${r}`);
          assert.ok(c.resources?.limits?.[r], `${id(w)}/${c.name} limits ${r}`);
        }
        if (!longRunning) continue;
        assert.ok(c.readinessProbe && c.livenessProbe, `${id(w)}/${c.name} has readiness and liveness probes`);
        const ports = (c.ports ?? []).map((p) => p.name);
        for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean)) {
          assert.ok(ports.includes(probe.httpGet?.port), `${id(w)}/${c.name} probes a declared port`);
        }
        if (w.metadata.name in OUR_SERVICES) {
          assert.equal(c.readinessProbe.httpGet.path, "/q/health/ready");
          assert.equal(c.livenessProbe.httpGet.path, "/q/health/live");
        }
      }
    }
  });

  test(`${overlay}: network policies let in only what the design allows`, () => {
    const policies = byKind(objects, "NetworkPolicy");
    const denyAll = policies.find((p) => Object.keys(p.spec.podSelector).length === 0
      && p.spec.policyTypes.includes("Ingress") && !p.spec.ingress);
    assert.ok(denyAll, "a default-deny ingress policy covers the namespace");

    const pods = workloads(objects).map((w) => ({ w, labels: podTemplate(w).metadata.labels }));
    const openToAll = policies.filter((p) => p.spec.ingress?.some((rule) => !rule.from || rule.from.length === 0));
    for (const p of openToAll) {
      const opened = pods.filter(({ labels }) => selects(p.spec.podSelector, labels)).map(({ w }) => w.metadata.name);
      assert.deepEqual(opened, ["gateway"], `${id(p)} opens only the gateway to everyone`);
    }
    // Every pod that serves a port is admitted by a policy of its own (else it is unreachable).
    for (const { w, labels } of pods) {
      const serves = containers(w).some((c) => (c.ports ?? []).length > 0);
      if (!serves) continue;
      assert.ok(policies.some((p) => (p.spec.ingress ?? []).length > 0 && selects(p.spec.podSelector, labels)),
        `${id(w)} has an allow policy`);
    }
    // MinIO: only labelled S3 clients; every pod that talks S3 carries the label.
    const minioPolicies = policies.filter((p) => selects(p.spec.podSelector, { "app.kubernetes.io/name": "minio" })
      && (p.spec.ingress ?? []).length > 0);
    for (const p of minioPolicies) {
      for (const rule of p.spec.ingress) {
        for (const from of rule.from) {
          const admitsServices = from.podSelector?.matchLabels?.["ddpm.dev/s3-client"] === "true";
          const admitsMonitoring = from.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "monitoring";
          assert.ok(admitsServices || admitsMonitoring, `${id(p)} admits only S3 clients and Prometheus`);
        }
      }
    }
    const kafka = named(objects, "Kafka", "ddpm");
    for (const listener of kafka.spec.kafka.listeners) {
      assert.deepEqual(listener.networkPolicyPeers, [{ podSelector: { matchLabels: { "ddpm.dev/kafka-client": "true" } } }],
        `Kafka listener ${listener.name} admits only labelled clients`);
    }
    const connections = named(objects, "ConfigMap", "ddpm-connections");
    for (const { w, labels } of pods) {
      const usesConnections = containers(w).some((c) => (c.envFrom ?? []).some((e) => e.configMapRef?.name === connections.metadata.name));
      const env = containers(w).flatMap((c) => (c.env ?? []).map((e) => e.name));
      if (usesConnections) assert.equal(labels["ddpm.dev/kafka-client"], "true", `${id(w)} may reach Kafka`);
      if (env.some((name) => name.endsWith("S3_ACCESS_KEY"))) {
        assert.equal(labels["ddpm.dev/s3-client"], "true", `${id(w)} may reach MinIO`);
      }
    }
    // Reachable from outside: only the gateway (Ingress backends, no LoadBalancer/NodePort elsewhere).
    for (const s of byKind(objects, "Service")) {
      if (s.metadata.name !== "gateway") assert.ok(!["LoadBalancer", "NodePort"].includes(s.spec.type), `${id(s)} is internal`);
    }
    for (const ing of byKind(objects, "Ingress")) {
      for (const rule of ing.spec.rules) {
        for (const path of rule.http.paths) assert.equal(path.backend.service.name, "gateway", `${id(ing)} routes to the gateway`);
      }
    }
  });

  test(`${overlay}: selectors, autoscaler and budgets point at real pods`, () => {
    const pods = workloads(objects).filter((w) => w.kind !== "Job" && w.kind !== "CronJob");
    for (const w of pods) {
      assert.ok(selects(w.spec.selector, podTemplate(w).metadata.labels), `${id(w)} selects its own pods`);
    }
    for (const s of byKind(objects, "Service")) {
      assert.ok(pods.some((w) => selects(s.spec.selector, podTemplate(w).metadata.labels)), `${id(s)} selects pods`);
    }
    for (const pdb of byKind(objects, "PodDisruptionBudget")) {
      assert.ok(pods.some((w) => selects(pdb.spec.selector, podTemplate(w).metadata.labels)), `${id(pdb)} selects pods`);
    }
    for (const hpa of byKind(objects, "HorizontalPodAutoscaler")) {
      const target = named(objects, hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name);
      assert.ok(target, `${id(hpa)} scales an existing ${hpa.spec.scaleTargetRef.kind}`);
      assert.ok(hpa.spec.minReplicas >= 1 && hpa.spec.maxReplicas >= hpa.spec.minReplicas);
    }
    const headless = named(objects, "Service", "sampler-headless");
    assert.equal(headless.spec.clusterIP, "None", "the gateway's round-robin target is headless");
    const gateway = containers(named(objects, "Deployment", "gateway"))[0];
    assert.equal(envOf(gateway).GATEWAY_SAMPLERS.value, `dns:///sampler-headless:${headless.spec.ports[0].port}`);
    const monitor = named(objects, "ServiceMonitor", "ddpm-services");
    for (const name of Object.keys(OUR_SERVICES)) {
      const svc = byKind(objects, "Service").find((s) => s.metadata.labels?.["app.kubernetes.io/name"] === name);
      assert.ok(svc && selects(monitor.spec.selector, svc.metadata.labels), `Prometheus scrapes ${name}`);
      assert.ok(svc.spec.ports.some((p) => p.name === monitor.spec.endpoints[0].port), `${name} names its port http`);
    }
  });

  test(`${overlay}: images are the ones the build makes, third-party images pinned`, () => {
    const built = builtTags();
    for (const w of workloads(objects)) {
      for (const c of containers(w)) {
        if (c.image.startsWith("ddpm/")) {
          assert.ok(built.has(c.image), `${id(w)} runs ${c.image}, which deploy/docker/images.tsv does not build`);
        } else {
          assert.match(c.image, /:[^:]+$/, `${id(w)}: ${c.image} has a tag`);
          assert.doesNotMatch(c.image, /:latest$/, `${id(w)}: ${c.image} is pinned`);
        }
      }
    }
  });

  test(`${overlay}: Kafka topics are the design's`, () => {
    const { topics, retentionMs } = designTopics();
    const declared = byKind(objects, "KafkaTopic");
    assert.deepEqual(declared.map((t) => t.spec.topicName).sort(), topics.map((t) => t.name).sort());
    const replicas = named(objects, "KafkaNodePool", "dual-role").spec.replicas;
    for (const t of topics) {
      const k = declared.find((d) => d.spec.topicName === t.name);
      assert.equal(k.spec.partitions, t.partitions, `${t.name} partitions`);
      assert.equal(k.spec.config["cleanup.policy"], t.compacted ? "compact" : "delete", `${t.name} cleanup`);
      if (!t.compacted) assert.equal(k.spec.config["retention.ms"], retentionMs, `${t.name} retention`);
      assert.ok(k.spec.replicas <= replicas, `${t.name}: replicas fit the brokers`);
      assert.equal(k.metadata.labels["strimzi.io/cluster"], "ddpm");
    }
    const minio = containers(named(objects, "StatefulSet", "minio"))[0];
    assert.equal(envOf(minio).MINIO_NOTIFY_KAFKA_TOPIC_PRIMARY.value, "ddpm.datasets");
    assert.equal(envOf(minio).MINIO_NOTIFY_KAFKA_BROKERS_PRIMARY.value,
      named(objects, "ConfigMap", "ddpm-connections").data.KAFKA_BOOTSTRAP_SERVERS);
  });
}

test("the MinIO setup script makes the design's buckets and the datasets notification", () => {
  const script = read("k8s/base/minio/setup-minio.sh");
  for (const bucket of designBuckets()) assert.match(script, new RegExp(`\\b${bucket}\\b`), `creates ${bucket}`);
  assert.match(script, /mc event add ddpm\/ddpm-datasets arn:minio:sqs::PRIMARY:kafka/);
});

test("the Grafana dashboard charts only metrics the services register", () => {
  const dashboard = JSON.parse(read("k8s/base/monitoring/ddpm-dashboard.json"));
  const registered = registeredMetrics();
  const wanted = ["samples", "queue", "batch", "latency", "loss", "images per second", "model versions"];
  const titles = dashboard.panels.map((p) => p.title.toLowerCase());
  for (const w of wanted) assert.ok(titles.some((t) => t.includes(w)), `a panel for ${w}`);
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) {
      for (const [metric] of target.expr.matchAll(/ddpm_[a-z0-9_]+/g)) {
        const base = metric.replace(/_(sum|count|max|bucket)$/, "");
        assert.ok(registered.has(base), `${panel.title}: ${metric} is registered by no service`);
      }
    }
  }
  const hpa = read("k8s/overlays/gpu/sampler-hpa.yaml").match(/name: (ddpm_[a-z_]+)/)[1];
  assert.ok(registered.has(hpa), `the HPA's metric ${hpa} is registered`);
});

test("the Dockerfiles copy what the Maven build produces", () => {
  const images = builtImages();
  assert.ok(images.length > 0);
  const requireBuild = process.env.DDPM_REQUIRE_BUILD === "1";
  for (const image of images) {
    const dockerfile = read(`deploy/docker/${image.dockerfile}`);
    assert.ok(exists(image.module + "/pom.xml"), `${image.image}: module ${image.module} exists`);
    for (const flag of image.flags.split(/\s+/).filter((f) => f && f !== "-")) {
      const property = flag.replace(/^-D/, "").split("=")[0];
      const pom = read(`${image.module}/pom.xml`);
      if (image.module !== "gateway") {
        assert.ok(pom.includes(`<name>${property}</name>`) || pom.includes(`<name>!${property}</name>`),
          `${image.module}/pom.xml has a profile switched by -D${property}`);
      }
    }
    const sources = [...dockerfile.matchAll(/^COPY\s+(?:--\S+\s+)*(\S+)\s+\S+$/gm)].map((m) => m[1].replace("${MODULE}", image.module));
    assert.ok(sources.length >= 4, `${image.dockerfile} copies the fast-jar layout`);
    for (const source of sources) {
      if (source.includes("/target/") && !requireBuild && !exists(`${image.module}/target/quarkus-app`)) continue;
      assert.ok(exists(source), `${image.dockerfile} (${image.module}) copies ${source}, which is missing after package`);
    }
  }
  const entrypoint = read("deploy/docker/entrypoint.sh");
  const cliClass = entrypoint.match(/dev\.ddpm\.[\w.]+/)[0];
  assert.ok(exists(`trainer-service/src/main/java/${cliClass.replaceAll(".", "/")}.java`), `${cliClass} exists`);
  // The entrypoint sources the oneDNN check the Dockerfiles copy beside it; the class it runs must exist.
  assert.match(entrypoint, /\. \/deployments\/onednn-isa\.sh/);
  // ... and the native-heap settings, also copied beside it.
  assert.match(entrypoint, /\. \/deployments\/native-malloc\.sh/);
  for (const dockerfile of ["deploy/docker/Dockerfile.jvm", "deploy/docker/Dockerfile.gpu"]) {
    assert.match(read(dockerfile), /COPY .*deploy\/docker\/native-malloc\.sh \/deployments\/native-malloc\.sh/, dockerfile);
  }
  const checkClass = read("deploy/docker/onednn-isa.sh").match(/dev\.ddpm\.[\w.]+/)[0];
  assert.ok(exists(`trainer-service/src/main/java/${checkClass.replaceAll(".", "/")}.java`), `${checkClass} exists`);
  if (exists("trainer-service/target/quarkus-app")) {
    for (const dir of ["app", "lib/main", "lib/boot"]) assert.ok(exists(`trainer-service/target/quarkus-app/${dir}`), dir);
  }
});

test("compose: the design's topics and buckets, MinIO notifications, secrets from .env, GPUs reserved", () => {
  const [compose] = parseYamlDocuments(read("deploy/compose/compose.yaml"), "compose.yaml");
  const [gpu] = parseYamlDocuments(read("deploy/compose/compose.gpu.yaml"), "compose.gpu.yaml");
  const services = compose.services;
  for (const s of ["kafka", "kafka-init", "minio", "minio-init", "trainer", "sampler", "gateway"]) assert.ok(services[s], s);
  assert.match(services.kafka.image, /^apache\/kafka:\d/);
  assert.equal(services.kafka.environment.KAFKA_PROCESS_ROLES, "broker,controller", "KRaft, no ZooKeeper");
  assert.match(services.minio.image, /^minio\/minio:RELEASE\./);
  assert.equal(services.minio.environment.MINIO_NOTIFY_KAFKA_TOPIC_PRIMARY, "ddpm.datasets");

  const script = read("deploy/compose/init/create-topics.sh");
  const { topics, retentionMs } = designTopics();
  for (const t of topics) {
    const line = script.split("\n").find((l) => l.startsWith(`create ${t.name} `));
    assert.ok(line, `create-topics.sh creates ${t.name}`);
    const [, , partitions, ...config] = line.trim().split(/\s+/);
    assert.equal(Number(partitions), t.partitions, `${t.name} partitions`);
    assert.ok(config.includes(`cleanup.policy=${t.compacted ? "compact" : "delete"}`), `${t.name} cleanup`);
    if (!t.compacted) assert.ok(config.includes("retention.ms=$WEEK_MS") && script.includes(`WEEK_MS=${retentionMs}`));
  }
  for (const [name, service] of Object.entries(services)) {
    for (const volume of service.volumes ?? []) {
      const source = volume.split(":")[0];
      if (source.startsWith(".")) assert.ok(exists(`deploy/compose/${source}`), `${name} mounts ${source}`);
    }
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      if (SECRET_LIKE.test(key) || /ROOT_USER/.test(key)) {
        assert.match(String(value), /^\$\{[A-Z0-9_]+(:\?[^}]*)?\}$/, `${name}.${key} comes from .env`);
      }
    }
    const ports = service.ports ?? [];
    if (name !== "gateway") assert.ok(ports.every((p) => p.startsWith("127.0.0.1:")), `${name} publishes nothing outside`);
  }
  const built = builtTags();
  for (const [name, service] of [...Object.entries(services), ...Object.entries(gpu.services)]) {
    if (service.image?.startsWith("ddpm/")) assert.ok(built.has(service.image), `${name}: ${service.image} is built`);
  }
  for (const s of GPU_SERVICES) {
    const devices = gpu.services[s].deploy.resources.reservations.devices;
    assert.ok(devices.some((d) => d.driver === "nvidia" && d.capabilities.includes("gpu")), `${s} reserves a GPU`);
    assert.match(gpu.services[s].image, /-gpu$/);
  }
});
