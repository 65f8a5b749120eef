import { messageOf } from "../spec/message-of";

/**
 * An update's set-aside of the old workload did not happen (or did not get as
 * far as the rename): the old one still has its name, nothing new was made,
 * and there is nothing to roll back. Its message is the cause's.
 */
export class SetAsideFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(messageOf(cause));
    this.name = "SetAsideFailed";
  }
}
