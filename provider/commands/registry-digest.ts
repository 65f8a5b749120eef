import { LABELS, MANAGED_FILTER } from "./podman";
import { AUTH_FILE_OF_REF } from "./registry-login";

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
 *   query <i> <ref> <image id>
 *   digest <i> <sha256:…>
 *   error <i> <skopeo's words, on one line>
 *   repodigests <i> <JSON array, or empty when the image is not in the store>
 *
 * skopeo 1.9 does not read CONTAINERS_REGISTRIES_CONF as podman does: it is
 * handed the same file, so both decide TLS alike. Args: AUTHFILE REF IMAGE_ID
 * triples (AUTHFILE "" for podman's own auth lookup, IMAGE_ID "" to skip the store).
 */
const QUERY = `
have=1
command -v skopeo >/dev/null 2>&1 || { have=0; echo noskopeo; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
i=0
while [ $# -ge 3 ]; do
  auth=$1; ref=$2; id=$3; shift 3
  i=$((i+1))
  (
    printf 'query %s %s %s\\n' "$i" "$ref" "$id"
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
  /** The auth file of the node's login for its registry (commands/registry-login). */
  authFile?: string;
}

export function registryDigests(queries: readonly TagQuery[]): string[] {
  return [
    "sh",
    "-c",
    QUERY,
    "sh",
    ...queries.flatMap((query) => [query.authFile ?? "", query.reference, query.imageId ?? ""]),
  ];
}

/** The line between the containers' inspection and the tags' answers in `snapshotWithTags`. */
export const TAGS_MARK = "--- pulumi-mcp: registry ---";

/**
 * A refresh's one command per node: every container pulumi-mcp manages,
 * inspected (`podman container inspect $(podman ps -aq --filter label=…)`,
 * or `[]` when there is none), then TAGS_MARK and the registry's answers
 * (registryDigests) for each distinct tag their image labels name (a digest
 * reference has nothing to ask), each asked with the auth file an earlier
 * deploy's login left for its registry (AUTH_FILE_OF_REF). Args: the label
 * filter, the query script.
 */
const SNAPSHOT = `
filter=$1; query=$2
ids=$(podman ps --all --quiet --filter "$filter") || exit
if [ -z "$ids" ]; then echo "[]"; exit 0; fi
podman container inspect $ids || exit
echo "${TAGS_MARK}"
set --
for line in $(podman ps --all --no-trunc --filter "$filter" --format '{{index .Labels "${LABELS.image}"}}|{{.ImageID}}' | sort -u); do
  ref=\${line%|*}; id=\${line#*|}
  case "$ref" in ""|*@*|"<no value>") continue;; esac
${AUTH_FILE_OF_REF}
  set -- "$@" "$auth" "$ref" "$id"
done
[ $# -gt 0 ] || exit 0
exec sh -c "$query" sh "$@"
`;

export function snapshotWithTags(): string[] {
  return ["sh", "-c", SNAPSHOT, "sh", MANAGED_FILTER, QUERY];
}

/** What the node answered for one tag. */
export interface TagAnswer {
  /** The tag asked about and the image id given with it (from the answer's query line). */
  reference?: string;
  imageId?: string;
  /** The registry's manifest digest of the tag now. */
  digest?: string;
  /** Why there is no digest: no skopeo, the registry refused or did not answer, … */
  unknown?: string;
  /** podman's RepoDigests of the image the workload runs (`repo@sha256:…`); absent when not in the store. */
  repoDigests?: string[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses the answers of `registryDigests`, one per query, in order (`count`: as many as its query lines). */
export function parseRegistryDigests(stdout: string, count?: number): TagAnswer[] {
  const asked = stdout.split("\n").filter((line) => line.startsWith("query ")).length;
  const answers: TagAnswer[] = Array.from({ length: count ?? asked }, () => ({}));
  const noSkopeo = stdout.split("\n").some((line) => line.trim() === "noskopeo");
  for (const line of stdout.split("\n")) {
    const match = /^(query|digest|error|repodigests) (\d+) ?(.*)$/.exec(line);
    if (!match) continue;
    const answer = answers[Number(match[2]) - 1];
    if (!answer) continue;
    const text = (match[3] ?? "").trim();
    if (match[1] === "query") {
      const [reference, imageId] = text.split(" ");
      if (reference) answer.reference = reference;
      if (imageId) answer.imageId = imageId;
    } else if (match[1] === "digest") {
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
