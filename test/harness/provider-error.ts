// TEST TOOL — not shipped. A failed gRPC call to the dynamic-provider process as a JS Error.
// The provider's thrown message comes back as gRPC code 2 (UNKNOWN) with the message as details;
// a `create`/`update` throw carrying `id` adds an ErrorResourceInitFailed detail (partial create).

import type { Metadata, ServiceError } from "@grpc/grpc-js";
import { ErrorResourceInitFailed } from "@pulumi/pulumi/proto/provider_pb";
import { Status } from "@pulumi/pulumi/proto/status_pb";
import { fromStruct, type PropertyMap } from "./struct-values";

export interface ResourceInitFailure {
  id: string;
  properties: PropertyMap;
  reasons: string[];
}

export class DynamicProviderError extends Error {
  override readonly name = "DynamicProviderError";

  constructor(
    message: string,
    /** The RPC that failed, e.g. "create". */
    readonly method: string,
    /** gRPC status code: 2 (UNKNOWN) for anything the provider threw. */
    readonly code: number,
    /** Set when the provider threw with `id` (the engine records a half-made resource). */
    readonly initFailure?: ResourceInitFailure,
  ) {
    super(message);
  }
}

export function toProviderError(method: string, err: ServiceError): DynamicProviderError {
  return new DynamicProviderError(err.details, method, err.code, initFailure(err.metadata));
}

const INIT_FAILED_TYPE = "pulumirpc.ErrorResourceInitFailed";

function initFailure(metadata: Metadata | undefined): ResourceInitFailure | undefined {
  const [bin] = metadata?.get("grpc-status-details-bin") ?? [];
  if (!(bin instanceof Uint8Array)) return undefined;
  for (const detail of Status.deserializeBinary(bin).getDetailsList()) {
    if (detail.getTypeName() !== INIT_FAILED_TYPE) continue;
    const failed = ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
    return {
      id: failed.getId(),
      properties: fromStruct(failed.getProperties()),
      reasons: failed.getReasonsList(),
    };
  }
  return undefined;
}
