// The compose stack hardened: every container read-only with tmpfs or volumes where it must write, no
// capabilities, no privilege gain, memory and process limits; the gateway published on
// GATEWAY_BIND_ADDRESS (127.0.0.1 by default), nothing else beyond 127.0.0.1; and config-check, which
// every service waits for, refusing example.env's placeholders, empty values and short secrets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { parse } from "yaml";
import { REPO, read } from "./manifests.mjs";

const compose = parse(read("deploy/compose/compose.yaml"), { merge: true });
const gpu = parse(read("deploy/compose/compose.gpu.yaml"), { merge: true });
const services = compose.services;
const JAVA_SERVICES = ["gateway", "sampler", "trainer"];
const SECRET_LIKE = /(SECRET|PASSWORD|ACCESS_KEY|SHA256|TOKEN|CREDENTIAL|ROOT_USER|OPERATOR_KEY)/;

/** "4g", "1536m", "64m" in bytes. */
function bytes(size) {
  const m = String(size).match(/^(\d+)([kmg]?)b?$/i);
  assert.ok(m, `a size: ${size}`);
  return Number(m[1]) * { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()];
}

/** The paths a container may write: its tmpfs mounts and volumes. { path: options } */
function writable(service) {
  const paths = {};
  for (const t of service.tmpfs ?? []) {
    const [path, options = ""] = t.split(":");
    paths[path] = options.split(",");
  }
  for (const v of service.volumes ?? []) {
    const [, path, mode] = v.split(":");
    if (mode !== "ro") paths[path] = ["volume"];
  }
  return paths;
}

/** The ENV of a Dockerfile as { name: value }. */
function dockerfileEnv(dockerfile) {
  const block = read(`deploy/docker/${dockerfile}`).match(/^ENV ([\s\S]*?)(?:\n\n|\nRUN|\nARG|\nCOPY)/m)[1];
  return Object.fromEntries([...block.matchAll(/([A-Z_]+)=("[^"]*"|\S+)/g)].map(([, k, v]) => [k, v.replace(/"/g, "")]));
}

test("every container: read-only root, no capabilities, no privilege gain, memory and process limits", () => {
  for (const [name, s] of Object.entries(services)) {
    assert.equal(s.read_only, true, `${name}: read_only`);
    assert.deepEqual(s.cap_drop, ["ALL"], `${name}: cap_drop ALL`);
    assert.ok(!s.cap_add || s.cap_add.length === 0, `${name}: adds no capability`);
    assert.ok(s.security_opt?.includes("no-new-privileges:true"), `${name}: no-new-privileges`);
    assert.notEqual(s.privileged, true, `${name}: not privileged`);
    assert.ok(bytes(s.mem_limit) > 0, `${name}: mem_limit`);
    assert.ok(Number.isInteger(s.pids_limit) && s.pids_limit > 0, `${name}: pids_limit`);
    for (const t of s.tmpfs ?? []) assert.match(t, /size=\d+[kmg]/, `${name}: tmpfs ${t} is bounded`);
  }
  // The GPU override changes images, devices and settings, never the hardening.
  for (const [name, s] of Object.entries(gpu.services)) {
    for (const key of ["read_only", "cap_add", "cap_drop", "security_opt", "privileged", "mem_limit", "pids_limit", "tmpfs"]) {
      assert.ok(!(key in s), `compose.gpu.yaml ${name} does not override ${key}`);
    }
  }
});

test("memory limits leave room for what each container keeps in memory", () => {
  for (const [name, s] of Object.entries(services)) {
    const tmpfs = (s.tmpfs ?? []).map((t) => bytes(t.match(/size=(\d+[kmg])/)[1])).reduce((a, b) => a + b, 0);
    // tmpfs pages are charged to the container's memory: they must fit beside its processes.
    assert.ok(tmpfs <= bytes(s.mem_limit) / 2, `${name}: tmpfs ${tmpfs} within half of mem_limit ${s.mem_limit}`);
  }
  // Kafka's heap is the image's 1 GiB unless KAFKA_HEAP_OPTS says otherwise.
  assert.ok(services.kafka.environment.KAFKA_HEAP_OPTS || bytes(services.kafka.mem_limit) > bytes("1g"));
});

test("every path a container writes is a tmpfs or a volume", () => {
  for (const name of JAVA_SERVICES) {
    const s = services[name];
    const paths = writable(s);
    // The JVM's and Quarkus' temporary files; ONNX Runtime and Netty unpack native libraries there
    // and load them, which a noexec mount (Docker's tmpfs default) forbids.
    assert.ok(paths["/tmp"]?.includes("exec"), `${name}: /tmp writable and exec`);
  }
  const djlCache = dockerfileEnv("Dockerfile.jvm").DJL_CACHE_DIR;
  assert.equal(dockerfileEnv("Dockerfile.gpu").DJL_CACHE_DIR, djlCache);
  const trainer = writable(services.trainer);
  assert.deepEqual(trainer[djlCache], ["volume"], `trainer: libtorch unpacks into ${djlCache}`);
  assert.deepEqual(trainer[services.trainer.environment.TRAINER_WORK_DIR], ["volume"], "trainer: its work dir");
  // Volumes take the owner of the image's directory: the services' must exist in the image.
  for (const dockerfile of ["Dockerfile.jvm", "Dockerfile.gpu"]) {
    const made = read(`deploy/docker/${dockerfile}`).match(/mkdir -p ([^&]+)&&/)[1].trim().split(/\s+/);
    for (const path of [djlCache, services.trainer.environment.TRAINER_WORK_DIR]) {
      assert.ok(made.includes(path), `${dockerfile} creates ${path} owned by the service's user`);
    }
  }

  const kafka = writable(services.kafka);
  for (const path of ["/opt/kafka/config", "/opt/kafka/logs", "/tmp"]) assert.ok(kafka[path], `kafka writes ${path}`);
  assert.deepEqual(kafka[services.kafka.environment.KAFKA_LOG_DIRS], ["volume"], "kafka's data is on its volume");
  const minio = writable(services.minio);
  assert.deepEqual(minio["/data"], ["volume"]);
  assert.ok(minio["/root/.minio"], "minio creates its certs directory");
  for (const name of ["minio", "minio-init"]) {
    const dir = services[name].environment.MC_CONFIG_DIR;
    assert.ok(dir && Object.keys(writable(services[name])).some((p) => dir.startsWith(`${p}/`)), `${name}: mc's config dir is writable`);
  }
  assert.ok(writable(services["kafka-init"])["/tmp"], "kafka-init: the tools' JVM writes /tmp");
});

test("the gateway is published on GATEWAY_BIND_ADDRESS (127.0.0.1 unless set), nothing else beyond 127.0.0.1", () => {
  assert.deepEqual(services.gateway.ports, ["${GATEWAY_BIND_ADDRESS:-127.0.0.1}:8080:8080"]);
  for (const [name, s] of Object.entries(services)) {
    if (name === "gateway") continue;
    for (const p of s.ports ?? []) assert.match(String(p), /^127\.0\.0\.1:/, `${name} publishes ${p}`);
  }
  assert.equal(services.kafka.ports, undefined, "Kafka is not published");
  assert.match(read("deploy/compose/example.env"), /^GATEWAY_BIND_ADDRESS=127\.0\.0\.1$/m);
});

/** Runs the config check with exactly `env`; { status, stderr }. */
function configCheck(env) {
  const s = services["config-check"];
  const mount = Object.fromEntries(s.volumes.map((v) => v.split(":")).map(([src, dst]) => [dst, src]));
  const script = `${REPO}/deploy/compose/${mount[s.entrypoint[1]].replace(/^\.\//, "")}`;
  try {
    execFileSync("sh", [script], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    return { status: 0, stderr: "" };
  } catch (e) {
    return { status: e.status, stderr: String(e.stderr) };
  }
}

/** The variables config-check is given (all of compose's secrets, checked below). */
const checked = Object.keys(services["config-check"].environment);
const good = Object.fromEntries(checked.map((n) => [n, n === "GATEWAY_API_KEY_SHA256"
  ? "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  : `${n.toLowerCase().replaceAll("_", "-")}-0123456789abcdef`]));

test("config-check: every service waits for it, and it is given every secret compose uses", () => {
  for (const [name, s] of Object.entries(services)) {
    if (name === "config-check") continue;
    assert.deepEqual(s.depends_on?.["config-check"], { condition: "service_completed_successfully" }, `${name} waits for config-check`);
  }
  const secrets = new Set();
  for (const [name, s] of Object.entries(services)) {
    for (const [key, value] of Object.entries(s.environment ?? {})) {
      if (!SECRET_LIKE.test(key)) continue;
      for (const [, variable] of String(value).matchAll(/\$\{([A-Z0-9_]+)/g)) secrets.add(variable);
    }
  }
  assert.deepEqual([...secrets].filter((v) => !checked.includes(v)), [], "config-check sees every secret");
  for (const [key, value] of Object.entries(services["config-check"].environment)) {
    assert.equal(value, `\${${key}}`, `config-check gets ${key} as set, empty included, so it can name it`);
  }
});

test("config-check: refuses example.env as it is, naming every variable left to set", () => {
  const example = Object.fromEntries(read("deploy/compose/example.env").split("\n")
    .filter((l) => l && !l.startsWith("#")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  const run = configCheck(Object.fromEntries(checked.map((n) => [n, example[n] ?? ""])));
  assert.notEqual(run.status, 0);
  for (const n of checked.filter((n) => !/(ACCESS_KEY|ROOT_USER)$/.test(n))) {
    assert.match(run.stderr, new RegExp(`\\b${n}\\b`), `names ${n}`);
  }
});

test("config-check: accepts good settings, refuses each weak one by name", () => {
  assert.deepEqual(configCheck(good), { status: 0, stderr: "" });
  for (const name of checked) {
    const secret = !/(ACCESS_KEY|ROOT_USER)$/.test(name);
    const weak = ["", "change-me", "CHANGE-ME-please-now", ...(secret ? ["elevenchars"] : [])];
    for (const value of weak) {
      const run = configCheck({ ...good, [name]: value });
      assert.notEqual(run.status, 0, `${name}=${JSON.stringify(value)} refused`);
      assert.match(run.stderr, new RegExp(`config-check: ${name} `), `${name}=${JSON.stringify(value)} named`);
      if (value) assert.ok(!run.stderr.includes(value), "the value itself is never printed");
    }
  }
  const shared = configCheck({ ...good, DDPM_SAMPLER_S3_ACCESS_KEY: good.DDPM_GATEWAY_S3_ACCESS_KEY });
  assert.notEqual(shared.status, 0, "two services sharing an S3 user");
  assert.match(shared.stderr, /DDPM_SAMPLER_S3_ACCESS_KEY/);
  const root = configCheck({ ...good, DDPM_TRAINER_S3_ACCESS_KEY: good.MINIO_ROOT_USER });
  assert.notEqual(root.status, 0, "a service using the root user");
});
