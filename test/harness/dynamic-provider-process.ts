// TEST TOOL — not shipped. Drives @pulumi/pulumi's real dynamic-provider process
// (cmd/dynamic-provider/index.js) over gRPC the way the Pulumi engine does: Configure first, then
// Check/Diff/Create/Read/Update/Delete, each carrying the serialised provider in `__provider`.
// See /work/shared/ENGINE-HARNESS.md. NOT covered: the engine's step ordering, state, secret
// re-marking of outputs, preview, parallelism, aliases, protect, import, ignoreChanges,
// replaceOnChanges, dependent replacements, pending deletes, explicit providers, the CLI's display.

import { credentials, type ServiceError } from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/provider_pb";
import { toProviderError } from "./provider-error";
import {
  type ProviderProcess,
  type SpawnProviderOptions,
  spawnProviderProcess,
} from "./spawn-provider-process";
import {
  fromStruct,
  PROVIDER_KEY,
  type PropertyMap,
  stripSecrets,
  toStruct,
} from "./struct-values";

export interface StartDynamicProviderOptions extends SpawnProviderOptions {
  /** Program directory: the process runs here, so `require` in the provider resolves from it. */
  cwd: string;
  /** The `__provider` text, e.g. from serializeProviderInProcess(). Added to every call. */
  provider: string;
  /** Configure args: namespaced stack config ("project:key" -> value; wrap secrets with secret()). */
  config?: PropertyMap;
  /** Extra environment, e.g. PULUMI_NODEJS_PROJECT for unqualified `req.config.get("key")`. */
  env?: Record<string, string>;
  /** Engine address argument; the process requires it but never dials it. */
  engineAddress?: string;
  startTimeoutMs?: number;
}

export interface CheckResult {
  inputs: PropertyMap;
  failures: { property: string; reason: string }[];
}

export type DiffChanges = "DIFF_UNKNOWN" | "DIFF_NONE" | "DIFF_SOME";

export interface DiffResult {
  changes: DiffChanges;
  replaces: string[];
  stables: string[];
  deleteBeforeReplace: boolean;
  diffs: string[];
  hasDetailedDiff: boolean;
  detailedDiff: Record<string, { kind: string; inputDiff: boolean }>;
}

export interface CreateResult {
  id: string;
  properties: PropertyMap;
}

export interface ReadResult {
  /** "" means the resource is gone. */
  id: string;
  properties: PropertyMap;
  inputs?: PropertyMap;
}

export interface UpdateResult {
  properties: PropertyMap;
}

export interface DynamicProviderClient {
  readonly pid: number;
  readonly port: number;
  /** What the process answered to Configure; false means the engine strips secrets (we do too). */
  readonly acceptsSecrets: boolean;
  check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult>;
  /** `olds` are the old outputs, as the engine sends them. */
  diff(urn: string, id: string, olds: PropertyMap, news: PropertyMap): Promise<DiffResult>;
  create(urn: string, properties: PropertyMap): Promise<CreateResult>;
  read(urn: string, id: string, properties: PropertyMap, inputs?: PropertyMap): Promise<ReadResult>;
  /** `olds` are the old outputs, as the engine sends them. */
  update(urn: string, id: string, olds: PropertyMap, news: PropertyMap): Promise<UpdateResult>;
  /** `properties` are the old outputs, as the engine sends them. */
  delete(urn: string, id: string, properties: PropertyMap): Promise<void>;
  /** Everything the process wrote so far (the provider's console.log lands in stdout). */
  stdout(): string;
  stderr(): string;
  /** Closes the channel and ends the process (by its pid). */
  close(): Promise<void>;
}

export const DYNAMIC_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";

/** The URN the engine would give a dynamic resource of this name. */
export function dynamicResourceUrn(name: string, stack = "stack", project = "project"): string {
  return `urn:pulumi:${stack}::${project}::${DYNAMIC_RESOURCE_TYPE}::${name}`;
}

export async function startDynamicProvider(
  options: StartDynamicProviderOptions,
): Promise<DynamicProviderClient> {
  const proc = await spawnProviderProcess(options);
  const grpc = new ResourceProviderClient(`127.0.0.1:${proc.port}`, credentials.createInsecure());
  try {
    const configured = await unary<pb.ConfigureResponse>("configure", (cb) =>
      grpc.configure(configureRequest(options.config ?? {}), cb),
    );
    return new Client(grpc, proc, options.provider, configured.getAcceptsecrets());
  } catch (err) {
    grpc.close();
    await proc.kill();
    throw err;
  }
}

function configureRequest(config: PropertyMap): pb.ConfigureRequest {
  const req = new pb.ConfigureRequest();
  // `args` is all the dynamic provider reads (without it, it never answers); the legacy
  // `variables` map is left empty.
  req.setArgs(toStruct(config));
  req.setAcceptsecrets(true);
  req.setAcceptresources(true);
  // The engine also sets sendsOldInputs(ToDelete) and then adds `oldInputs` to Diff/Update/Delete;
  // the dynamic provider ignores both, so this harness sends neither.
  return req;
}

class Client implements DynamicProviderClient {
  readonly pid: number;
  readonly port: number;

  constructor(
    private readonly grpc: ResourceProviderClient,
    private readonly proc: ProviderProcess,
    private readonly provider: string,
    readonly acceptsSecrets: boolean,
  ) {
    this.pid = proc.pid;
    this.port = proc.port;
  }

  async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
    const req = new pb.CheckRequest();
    setUrn(req, urn);
    req.setOlds(this.struct(olds, false));
    req.setNews(this.struct(news, true));
    const res = await unary<pb.CheckResponse>("check", (cb) => this.grpc.check(req, cb));
    return {
      inputs: fromStruct(res.getInputs()),
      failures: res
        .getFailuresList()
        .map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(urn: string, id: string, olds: PropertyMap, news: PropertyMap): Promise<DiffResult> {
    const req = new pb.DiffRequest();
    setUrn(req, urn);
    req.setId(id);
    req.setOlds(this.struct(olds, true));
    req.setNews(this.struct(news, true));
    const res = await unary<pb.DiffResponse>("diff", (cb) => this.grpc.diff(req, cb));
    const detailedDiff: DiffResult["detailedDiff"] = {};
    for (const [key, d] of res.getDetaileddiffMap().entries()) {
      detailedDiff[key] = { kind: kindName(d.getKind()), inputDiff: d.getInputdiff() };
    }
    return {
      changes: changesName(res.getChanges()),
      replaces: res.getReplacesList(),
      stables: res.getStablesList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
      diffs: res.getDiffsList(),
      hasDetailedDiff: res.getHasdetaileddiff(),
      detailedDiff,
    };
  }

  async create(urn: string, properties: PropertyMap): Promise<CreateResult> {
    const req = new pb.CreateRequest();
    setUrn(req, urn);
    req.setProperties(this.struct(properties, true));
    const res = await unary<pb.CreateResponse>("create", (cb) => this.grpc.create(req, cb));
    return { id: res.getId(), properties: fromStruct(res.getProperties()) };
  }

  async read(
    urn: string,
    id: string,
    properties: PropertyMap,
    inputs?: PropertyMap,
  ): Promise<ReadResult> {
    const req = new pb.ReadRequest();
    setUrn(req, urn);
    req.setId(id);
    req.setProperties(this.struct(properties, true));
    if (inputs) req.setInputs(this.struct(inputs, true));
    const res = await unary<pb.ReadResponse>("read", (cb) => this.grpc.read(req, cb));
    const result: ReadResult = { id: res.getId(), properties: fromStruct(res.getProperties()) };
    if (res.hasInputs()) result.inputs = fromStruct(res.getInputs());
    return result;
  }

  async update(
    urn: string,
    id: string,
    olds: PropertyMap,
    news: PropertyMap,
  ): Promise<UpdateResult> {
    const req = new pb.UpdateRequest();
    setUrn(req, urn);
    req.setId(id);
    req.setOlds(this.struct(olds, true));
    req.setNews(this.struct(news, true));
    const res = await unary<pb.UpdateResponse>("update", (cb) => this.grpc.update(req, cb));
    return { properties: fromStruct(res.getProperties()) };
  }

  async delete(urn: string, id: string, properties: PropertyMap): Promise<void> {
    const req = new pb.DeleteRequest();
    setUrn(req, urn);
    req.setId(id);
    req.setProperties(this.struct(properties, true));
    await unary<unknown>("delete", (cb) => this.grpc.delete(req, cb));
  }

  stdout(): string {
    return this.proc.stdout();
  }

  stderr(): string {
    return this.proc.stderr();
  }

  async close(): Promise<void> {
    this.grpc.close();
    await this.proc.kill();
  }

  /**
   * Like the engine: `__provider` rides along in every property bag that comes from the
   * resource's inputs or state. An empty `olds` (Check before the first Create) stays empty.
   * With acceptSecrets=false the engine sends secrets as plain values.
   */
  private struct(props: PropertyMap, withProvider: boolean) {
    const needsProvider = withProvider || Object.keys(props).length > 0;
    const full = needsProvider ? { [PROVIDER_KEY]: this.provider, ...props } : props;
    const sent = this.acceptsSecrets ? full : (stripSecrets(full) as PropertyMap);
    return toStruct(sent);
  }
}

interface WithUrn {
  setUrn(urn: string): unknown;
  setName(name: string): unknown;
  setType(type: string): unknown;
}

function setUrn(req: WithUrn, urn: string): void {
  const parts = urn.split("::");
  req.setUrn(urn);
  req.setName(parts[3] ?? "");
  req.setType((parts[2] ?? "").split("$").pop() ?? "");
}

function changesName(changes: pb.DiffResponse.DiffChanges): DiffChanges {
  switch (changes) {
    case pb.DiffResponse.DiffChanges.DIFF_NONE:
      return "DIFF_NONE";
    case pb.DiffResponse.DiffChanges.DIFF_SOME:
      return "DIFF_SOME";
    default:
      return "DIFF_UNKNOWN";
  }
}

function kindName(kind: pb.PropertyDiff.Kind): string {
  const names: Record<number, string> = Object.fromEntries(
    Object.entries(pb.PropertyDiff.Kind).map(([name, value]) => [value, name]),
  );
  return names[kind] ?? `KIND_${kind}`;
}

function unary<T>(
  method: string,
  invoke: (cb: (err: ServiceError | null, res: T) => void) => unknown,
): Promise<T> {
  return new Promise((resolve, reject) => {
    invoke((err, res) => (err ? reject(toProviderError(method, err)) : resolve(res)));
  });
}
