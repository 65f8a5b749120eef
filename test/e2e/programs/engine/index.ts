// TEST ONLY (e2e, test/e2e/engine-behaviour.e2e.test.ts and key-rotation.e2e.test.ts): small
// programs that make the real Pulumi engine send pulumi-mcp what a user's program makes it send.
// One scenario per stack (config `scenario`); every container is named e2eeng-*, every port is
// in 18900-18949, on loopback only.
import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const node: mcp.NodeArgs = {
  host: cfg.require("host"),
  port: cfg.requireNumber("port"),
  user: cfg.require("user"),
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: cfg.require("hostKey"),
  // false on a node without systemd (the loopback test node): no boot units there.
  bootPersistence: cfg.getBoolean("bootPersistence"),
};
const image = cfg.require("image");
/** Short stops and starts: the test image (busybox httpd) ignores SIGTERM. */
const quick = { stopTimeout: 1, minUptime: 1, startTimeout: 20 };

type Outputs = Record<string, pulumi.Input<unknown>>;

/** Item 1: B's env and a Service's image take A's outputs, unknown in a preview of A's update. */
function unknowns(): Outputs {
  const a = new mcp.Component("e2eeng-a", {
    node,
    service: "e2eeng",
    name: "a",
    image,
    ports: ["127.0.0.1:18900:8080"],
    ...quick,
  });
  const b = new mcp.Component("e2eeng-b", {
    node,
    service: "e2eeng",
    name: "b",
    image: cfg.require("imageB"),
    ports: ["127.0.0.1:18901:8080"],
    env: { A_IMAGE_ID: a.imageId, A_CONTAINER: a.containerName },
    ...quick,
  });
  const s = new mcp.Service("e2eeng-s", {
    node,
    components: [
      {
        name: "web",
        image: pulumi.interpolate`${cfg.require("registry")}/mcp-test/web:${a.version}`,
        ports: ["127.0.0.1:18902:8080"],
        ...quick,
      },
    ],
  });
  return { aImageId: a.imageId, bStartedAt: b.startedAt, sStatus: s.status };
}

/** Item 2: adopt a container started by hand; the `import` option on a Component. */
function adopt(): Outputs {
  const importId = cfg.get("importId");
  const c = new mcp.Component(
    "e2eeng-adopt",
    {
      node,
      service: "e2eeng",
      name: "adopt",
      image,
      ports: ["127.0.0.1:18910:8080"],
      env: { MODE: cfg.get("mode") ?? "hand-made" },
      cmd: ["--flag", "value with spaces"],
      adopt: cfg.getBoolean("adopt"),
      ...quick,
    },
    importId ? { import: importId } : {},
  );
  return { state: c.state, startedAt: c.startedAt };
}

/** Item 4: a Service component's minUptime / startTimeout from config. */
function serviceTimings(): Outputs {
  const s = new mcp.Service("e2eeng-mu", {
    node,
    components: [
      {
        name: "web",
        image,
        ports: ["127.0.0.1:18930:8080"],
        stopTimeout: 1,
        minUptime: cfg.getNumber("webMinUptime") ?? 1,
        startTimeout: cfg.getNumber("webStartTimeout") ?? 20,
      },
      { name: "api", image, ports: ["127.0.0.1:18931:8080"], ...quick },
    ],
  });
  return { status: s.status };
}

/** Item "Also": ignoreChanges on a Service (paths from config) and, as a control, on a Component. */
function ignore(): Outputs {
  const ignoreChanges = cfg.getObject<string[]>("ignoreChanges") ?? [];
  const s = new mcp.Service(
    "e2eeng-ign",
    {
      node,
      components: [{ name: "web", image, ports: ["127.0.0.1:18940:8080"], ...quick }],
    },
    { ignoreChanges },
  );
  const c = new mcp.Component(
    "e2eeng-ignc",
    { node, service: "e2eeng", name: "ignc", image, ports: ["127.0.0.1:18941:8080"], ...quick },
    { ignoreChanges: ["image"] },
  );
  return { status: s.status, componentVersion: c.version };
}

/** Item "Also": customTimeouts on a create that takes longer than they allow. */
function timeouts(): Outputs {
  const c = new mcp.Component(
    "e2eeng-slow",
    {
      node,
      service: "e2eeng",
      name: "slow",
      image,
      ports: ["127.0.0.1:18945:8080"],
      stopTimeout: 1,
      minUptime: cfg.requireNumber("minUptime"),
      startTimeout: 30,
    },
    { customTimeouts: { create: "1s", update: "1s", delete: "1s" } },
  );
  return { state: c.state, startedAt: c.startedAt };
}

/** Item 3: a Component and a Service on a node whose authorized key gets rotated. */
function rotate(): Outputs {
  const c = new mcp.Component("e2eeng-rot", {
    node,
    service: "e2eeng",
    name: "rot",
    image,
    ports: ["127.0.0.1:18920:8080"],
    ...quick,
  });
  const s = new mcp.Service("e2eeng-rots", {
    node,
    components: [{ name: "web", image, ports: ["127.0.0.1:18921:8080"], ...quick }],
  });
  return { startedAt: c.startedAt, status: s.status };
}

const scenarios: Record<string, () => Outputs> = {
  unknowns,
  adopt,
  serviceTimings,
  ignore,
  timeouts,
  rotate,
};

export default function main(): Outputs {
  const scenario = cfg.require("scenario");
  const run = scenarios[scenario];
  if (!run) throw new Error(`unknown scenario ${scenario}`);
  return run();
}
