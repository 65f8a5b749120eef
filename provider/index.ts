export {
  Component,
  type ComponentArgs,
  type ComponentFields,
  type HealthCheckArgs,
} from "./resources/component";
export { Image, type ImageArgs } from "./resources/image";
export type { NodeArgs } from "./resources/node-args";
export { type ComponentStatus, Service, type ServiceArgs } from "./resources/service";
export { extractVersion, parseImageRef } from "./spec/image-ref";
