// TEST ENGINE — not shipped. The ResourceMonitor gRPC service a Pulumi program talks to
// (`--monitor=ADDR`). Implements registerResource, registerResourceOutputs, supportsFeature and
// signalAndWaitForShutdown; every other method answers UNIMPLEMENTED (grpc-js's default for a
// method missing from the implementation), which the SDK tolerates or reports.

import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceError,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as rpb from "@pulumi/pulumi/proto/resource_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { fromStruct, toStruct } from "../harness/struct-values";
import type { PropertyMap } from "./property-values";

/** One `registerResource` call, decoded. */
export interface Registration {
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  /** The program's inputs, secrets wrapped (the monitor supports the "secrets" feature). */
  inputs: PropertyMap;
  dependencies: string[];
  /** The `deleteBeforeReplace` resource option, when the program set it. */
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs: string[];
  /** Options the test engine does not implement; a non-empty one fails the registration. */
  unsupported: Record<string, string | boolean | string[]>;
}

export interface RegistrationResult {
  urn: string;
  /** "" = unknown (a preview of a create). */
  id: string;
  outputs: PropertyMap;
}

export interface MonitorHandlers {
  register(registration: Registration): Promise<RegistrationResult>;
  registerOutputs(urn: string, outputs: PropertyMap): void;
  /** The program finished without errors (called from its `beforeExit`). */
  shutdown(): void;
}

/** Features this monitor claims; everything else the SDK falls back from. */
const FEATURES = new Set(["secrets"]);

export interface ResourceMonitor {
  address: string;
  close(): Promise<void>;
}

export async function startResourceMonitor(handlers: MonitorHandlers): Promise<ResourceMonitor> {
  const server = new Server();
  server.addService(ResourceMonitorService, {
    supportsFeature(
      call: ServerUnaryCall<rpb.SupportsFeatureRequest, rpb.SupportsFeatureResponse>,
      callback: sendUnaryData<rpb.SupportsFeatureResponse>,
    ) {
      const response = new rpb.SupportsFeatureResponse();
      response.setHassupport(FEATURES.has(call.request.getId()));
      callback(null, response);
    },
    registerResource(
      call: ServerUnaryCall<rpb.RegisterResourceRequest, rpb.RegisterResourceResponse>,
      callback: sendUnaryData<rpb.RegisterResourceResponse>,
    ) {
      handlers.register(decode(call.request)).then(
        (result) => {
          const response = new rpb.RegisterResourceResponse();
          response.setUrn(result.urn);
          response.setId(result.id);
          response.setObject(toStruct(result.outputs));
          callback(null, response);
        },
        (error: unknown) => callback(serviceError(error), null),
      );
    },
    registerResourceOutputs(
      call: ServerUnaryCall<rpb.RegisterResourceOutputsRequest, Empty>,
      callback: sendUnaryData<Empty>,
    ) {
      handlers.registerOutputs(call.request.getUrn(), fromStruct(call.request.getOutputs()));
      callback(null, new Empty());
    },
    signalAndWaitForShutdown(_call: ServerUnaryCall<Empty, Empty>, callback: sendUnaryData<Empty>) {
      handlers.shutdown();
      callback(null, new Empty());
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  let closed: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${port}`,
    // Idempotent. Waits up to a second for calls in flight, then cuts every connection.
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1_000).unref();
      });
      return closed;
    },
  };
}

function decode(req: rpb.RegisterResourceRequest): Registration {
  const registration: Registration = {
    type: req.getType(),
    name: req.getName(),
    parent: req.getParent(),
    custom: req.getCustom(),
    inputs: fromStruct(req.getObject()),
    dependencies: req.getDependenciesList(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    unsupported: unsupportedOptions(req),
  };
  if (req.getDeletebeforereplacedefined()) {
    registration.deleteBeforeReplace = req.getDeletebeforereplace();
  }
  return registration;
}

function unsupportedOptions(req: rpb.RegisterResourceRequest): Registration["unsupported"] {
  const options: Registration["unsupported"] = {
    import: req.getImportid(),
    provider: req.getProvider(),
    remote: req.getRemote(),
    protect: req.getProtect() ?? false,
    ignoreChanges: req.getIgnorechangesList(),
    replaceOnChanges: req.getReplaceonchangesList(),
    aliases: [
      ...req.getAliasurnsList(),
      ...req.getAliasesList().map((alias) => JSON.stringify(alias.toObject())),
    ],
    retainOnDelete: req.getRetainondelete() ?? false,
    deletedWith: req.getDeletedwith(),
  };
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : Boolean(v))),
  );
}

function serviceError(error: unknown): Partial<ServiceError> {
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.UNKNOWN, details: message, message };
}
