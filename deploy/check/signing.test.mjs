// The manifest signing keys in the rendered manifests: the private key is mounted into the trainer
// alone, the samplers read the trusted public keys from a ConfigMap, and docs/deployment.md tells how
// to make both. Run: deploy/check/run.sh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OVERLAYS, containers, podTemplate, read, render, workloads } from "./manifests.mjs";

const SIGNING_SECRET = "ddpm-trainer-signing-key";
const TRUST_CONFIGMAP = "ddpm-manifest-trust";

/** The volumes of a workload's pod that come from Secret or ConfigMap {@code name}, with the env of its containers. */
function mounts(w, kind, name) {
  const volumes = (podTemplate(w).spec.volumes ?? []).filter((v) =>
    kind === "Secret" ? v.secret?.secretName === name : v.configMap?.name === name);
  return volumes.flatMap((v) => containers(w).flatMap((c) =>
    (c.volumeMounts ?? []).filter((m) => m.name === v.name).map((m) => ({ container: c, mount: m, volume: v }))));
}

const env = (c, name) => (c.env ?? []).find((e) => e.name === name)?.value;

for (const overlay of OVERLAYS) {
  const objects = render(overlay);

  test(`${overlay}: only the trainer holds the signing key, and its setting points into the mount`, () => {
    for (const w of workloads(objects)) {
      const found = mounts(w, "Secret", SIGNING_SECRET);
      if (w.kind === "Deployment" && w.metadata.name === "trainer") {
        assert.equal(found.length, 1, "the trainer mounts Secret " + SIGNING_SECRET);
        const { container, mount } = found[0];
        assert.equal(mount.readOnly, true);
        assert.ok(env(container, "TRAINER_SIGNING_PRIVATE_KEY_FILE")?.startsWith(mount.mountPath + "/"),
          "TRAINER_SIGNING_PRIVATE_KEY_FILE names a file in the mounted Secret");
      } else {
        assert.deepEqual(found, [], `${w.kind}/${w.metadata.name} must not mount ${SIGNING_SECRET}`);
      }
    }
  });

  test(`${overlay}: the samplers trust the public keys of a ConfigMap`, () => {
    const sampler = workloads(objects).find((w) => w.kind === "Deployment" && w.metadata.name === "sampler");
    const found = mounts(sampler, "ConfigMap", TRUST_CONFIGMAP);
    assert.equal(found.length, 1, "the sampler mounts ConfigMap " + TRUST_CONFIGMAP);
    assert.equal(env(found[0].container, "SAMPLER_SIGNING_TRUSTED_KEY_FILES"), found[0].mount.mountPath);
    assert.equal(env(found[0].container, "SAMPLER_SIGNING_REQUIRED"), undefined, "signatures stay required");
  });
}

test("docs/deployment.md tells how to make the key pair, its Secret and its ConfigMap", () => {
  const doc = read("docs/deployment.md");
  for (const needle of [SIGNING_SECRET, TRUST_CONFIGMAP, "openssl genpkey -algorithm ed25519"]) {
    assert.ok(doc.includes(needle), `docs/deployment.md mentions ${needle}`);
  }
});
