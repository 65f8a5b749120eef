import * as pulumi from "@pulumi/pulumi";

type SecretFilesInput = pulumi.Input<Record<string, pulumi.Input<string>>>;

/**
 * Secret files with each content a secret of its own, so a preview names
 * the files but never shows their contents. A whole map that is itself an
 * Output or a Promise (names not known yet) becomes one secret.
 */
export function secretContents(files: SecretFilesInput | undefined): SecretFilesInput | undefined {
  if (files === undefined) return undefined;
  if (pulumi.Output.isInstance(files) || files instanceof Promise) return pulumi.secret(files);
  return Object.fromEntries(
    Object.entries(files).map(([name, content]) => [name, pulumi.secret(content)]),
  );
}
