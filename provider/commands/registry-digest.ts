/**
 * Asks the registry, from the node, what it holds under image tags: the
 * manifest digest (`skopeo inspect --no-tags --format {{.Digest}}`, the
 * digest podman pulls a tag by), and for each, the digests podman knows for
 * the image the workload runs (`RepoDigests`: a locally built image's own
 * digest is not the pushed one, but the pushed one is among them). One
 * command for every tag: the queries run side by side, each answer on its
 * own lines, in order:
 *
 *   noskopeo                  (once, when the node has no skopeo)
 *   digest <i> <sha256:…>
 *   error <i> <skopeo's words, on one line>
 *   repodigests <i> <JSON array, or empty when the image is not in the store>
 *
 * skopeo 1.9 does not read CONTAINERS_REGISTRIES_CONF as podman does: it is
 * handed the same file, so both decide TLS alike. Args: AUTHFILE ("" for
 * none), then REF IMAGE_ID pairs (IMAGE_ID "" to skip the store).
 */
const QUERY = `
auth=$1; shift
have=1
command -v skopeo >/dev/null 2>&1 || { have=0; echo noskopeo; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
i=0
while [ $# -ge 2 ]; do
  ref=$1; id=$2; shift 2
  i=$((i+1))
  (
    if [ $have = 1 ]; then
      if out=$(skopeo \${CONTAINERS_REGISTRIES_CONF:+--registries-conf "$CONTAINERS_REGISTRIES_CONF"} inspect --no-tags --format '{{.Digest}}' \${auth:+--authfile "$auth"} "docker://$ref" 2>"$dir/e$i"); then
        printf 'digest %s %s\\n' "$i" "$out"
      else
        printf 'error %s %s\\n' "$i" "$(tr '\\n\\t' '  ' <"$dir/e$i")"
      fi
    fi
    if [ -n "$id" ]; then
      printf 'repodigests %s %s\\n' "$i" "$(podman image inspect --format '{{json .RepoDigests}}' -- "$id" 2>/dev/null | head -n 1)"
    fi
  ) >"$dir/$i" &
done
wait
j=1
while [ $j -le $i ]; do cat "$dir/$j"; j=$((j+1)); done
`;

/** One tag to ask about, and the image (id) whose known digests to list with it. */
export interface TagQuery {
  reference: string;
  imageId?: string;
}

export function registryDigests(queries: readonly TagQuery[], authFile?: string): string[] {
  return [
    "sh",
    "-c",
    QUERY,
    "sh",
    authFile ?? "",
    ...queries.flatMap((query) => [query.reference, query.imageId ?? ""]),
  ];
}

/** What the node answered for one tag. */
export interface TagAnswer {
  /** The registry's manifest digest of the tag now. */
  digest?: string;
  /** Why there is no digest: no skopeo, the registry refused or did not answer, … */
  unknown?: string;
  /** podman's RepoDigests of the image the workload runs (`repo@sha256:…`); absent when not in the store. */
  repoDigests?: string[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses the answers of `registryDigests`, one per query, in order. */
export function parseRegistryDigests(stdout: string, count: number): TagAnswer[] {
  const answers: TagAnswer[] = Array.from({ length: count }, () => ({}));
  const noSkopeo = stdout.split("\n").some((line) => line.trim() === "noskopeo");
  for (const line of stdout.split("\n")) {
    const match = /^(digest|error|repodigests) (\d+) ?(.*)$/.exec(line);
    if (!match) continue;
    const answer = answers[Number(match[2]) - 1];
    if (!answer) continue;
    const text = (match[3] ?? "").trim();
    if (match[1] === "digest") {
      if (DIGEST.test(text)) answer.digest = text;
      else
        answer.unknown = `skopeo printed no sha256 digest (${JSON.stringify(text.slice(0, 200))})`;
    } else if (match[1] === "error") answer.unknown = text.slice(0, 500) || "skopeo failed";
    else if (text.startsWith("[")) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (Array.isArray(parsed)) answer.repoDigests = parsed.map(String);
      } catch {
        // Not JSON: the store's digests stay unknown.
      }
    }
  }
  for (const answer of answers) {
    if (answer.digest || answer.unknown) continue;
    answer.unknown = noSkopeo
      ? "skopeo is not installed on the node (Debian: apt-get install skopeo)"
      : "the node printed no answer";
  }
  return answers;
}
