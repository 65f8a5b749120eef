/** A create found a workload under its name already (and touched nothing); the caller looks closer. */
export class NameTaken extends Error {
  constructor(readonly workload: string) {
    super(`a workload named ${workload} already exists`);
    this.name = "NameTaken";
  }
}
