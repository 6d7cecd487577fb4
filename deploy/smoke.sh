#!/usr/bin/env bash
# Compose smoke test (needs Docker with the compose plugin, curl and python3): build and start
# the production topology, then post a comment, approve it and read it back through the proxy,
# checking that both `serve` instances answer. Tears everything down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

export MODERATION_SECRET_KEY="${MODERATION_SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')}"
export PROXY_PORT="${PROXY_PORT:-18080}"
compose=(docker compose -p moderation-smoke)
base="http://127.0.0.1:${PROXY_PORT}"
trap '"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true' EXIT

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
item_ids() { python3 -c "import json,sys; print(' '.join(str(i['id']) for i in json.load(sys.stdin)['items']))"; }

"${compose[@]}" up -d --build
echo "waiting for the proxy (at most 180 s)"
for _ in $(seq 180); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "$base/readyz" >/dev/null
"${compose[@]}" ps

"${compose[@]}" exec -T serve-a moderation site create smoke --origin https://smoke.example
token=$("${compose[@]}" exec -T serve-a moderation token create --site smoke --role moderator)

thread="smoke/$(date +%s)"
id=$(curl -fsS -X POST "$base/v1/sites/smoke/comments" -H 'Content-Type: application/json' \
  -d "{\"thread\": \"$thread\", \"name\": \"سارة أحمد\", \"email\": \"sara@example.com\",
       \"body\": \"تجربة النشر عبر الوكيل — a smoke test through the proxy.\"}" | json '["id"]')
echo "posted $id"
status=$(curl -fsS -X POST "$base/v1/comments/$id/approve" -H "Authorization: Bearer $token" \
  | json '["status"]')
[ "$status" = approved ] || { echo "approve answered $status"; exit 1; }

# Every instance must show it at once (the approval's NOTIFY reaches both); read a few times.
upstreams=()
for _ in $(seq 10); do
  headers=$(mktemp)
  ids=$(curl -fsS -D "$headers" -G "$base/v1/sites/smoke/comments" --data-urlencode "thread=$thread" \
    | item_ids)
  upstreams+=("$(grep -i '^x-upstream:' "$headers" | tr -d '\r' | cut -d' ' -f2)")
  rm -f "$headers"
  [ "$ids" = "$id" ] || { echo "read shows '$ids', not $id"; exit 1; }
done
distinct=$(printf '%s\n' "${upstreams[@]}" | sort -u | wc -l)
[ "$distinct" -ge 2 ] || { echo "only one serve instance answered: ${upstreams[*]}"; exit 1; }
echo "ok: posted, approved and read through the proxy; $distinct instances answered"
