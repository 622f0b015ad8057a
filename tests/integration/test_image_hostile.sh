#!/usr/bin/env bash
# Hostile registry answers (tests/integration/hostile-registry.py on
# 127.0.0.1): a digest mismatch, a truncated blob, an oversize manifest, an
# unknown media type, a lying Docker-Content-Digest, an artifact that is no
# image, 403/404/429/500 and a timeout each give ONE clear error line naming the registry and the object,
# a non-zero exit, and leave the store consistent (no bad blob, no name, no
# bad partial). A connection cut mid-layer is resumed with Range. A redirect
# to another host (an object store) is followed without the registry's
# credentials. An expired bearer token is renewed. After all that, a good
# pull works and runs.
#
# Needs root, python3, curl, jq.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"

HOSTILE=$(cd "$(dirname "$0")" && pwd)/hostile-registry.py
start_hostile() { # NAME [USER:PASSWORD]: sets ${NAME}_HOST
	local port blob_port
	port=$(free_port)
	blob_port=$(free_port)
	HOSTILE_LOG=$REGISTRY_TMP/$1.log python3 "$HOSTILE" "$port" "$blob_port" "$CV_TEST_ROOTFS" ${2:+"$2"} \
		>"$REGISTRY_TMP/$1.out" 2>&1 &
	registry_pids+=($!)
	wait_for_http "http://127.0.0.1:$port/v2/"
	printf -v "${1}_HOST" '%s' "127.0.0.1:$port"
}
start_hostile EVIL
start_hostile GUARDED alice:secret
start_hostile TOKENED bearer
H=$EVIL_HOST

# hostile REPO EXPECTED_TEXT: the pull fails with one line containing the text, and nothing bad stays.
hostile() {
	local repo=$1 text=$2
	cv 1 pull --tls-verify=false "$H/$repo"
	one_error_line "$text"
	[[ "$ERR" == *"registry $H"* ]] || fail "$repo: error does not name the registry: $ERR"
	[ -z "$(store_names)" ] || fail "$repo: a name was stored: $(store_names)"
	store_check
	pass "$repo: $ERR"
}

hostile digestbad "digest mismatch"
[ -z "$(ls -A "$CONTAINERV_ROOT/images/ingest" 2>/dev/null)" ] || fail "a corrupt partial download was kept"
hostile truncated "truncated"
[ -n "$(ls -A "$CONTAINERV_ROOT/images/ingest")" ] || fail "the truncated download's partial was not kept for resume"
hostile oversize "larger than"
hostile badtype "unsupported media type \"application/vnd.example.unknown+json\""
hostile headerdigest "digest mismatch"
hostile artifact "not a container image"
hostile badlayer "unsupported media type \"application/x-unknown-layer\""
rm -rf "$CONTAINERV_ROOT/images" # (the config must be fetched: no store has it yet)
hostile badconfig "500 internal server error (UNKNOWN: storage driver failure)"
[[ "$ERR" == *"blob sha256:"*" of badconfig"* ]] || fail "the blob error does not name the blob: $ERR"
hostile noblob "404 not found (BLOB_UNKNOWN: blob unknown to registry)"
[[ "$ERR" == *"blob sha256:"*" of noblob"* ]] || fail "the blob error does not name the blob: $ERR"
hostile e403 "403"
hostile e404 "404 not found (MANIFEST_UNKNOWN"
hostile e429 "429 too many requests"
hostile e500 "500"
export CONTAINERV_REGISTRY_TIMEOUT=2
started=$SECONDS
hostile slow "timed out"
[ $((SECONDS - started)) -lt 20 ] || fail "the timeout took $((SECONDS - started)) s"
unset CONTAINERV_REGISTRY_TIMEOUT

# A layer cut halfway: resumed with Range within the same pull (the
# truncated answer's partial is dropped first: it would be resumed too).
rm -f "$CONTAINERV_ROOT"/images/ingest/*
cv 0 pull --tls-verify=false "$H/cut"
requests=$(grep -o '^GET /v2/cut/blobs/sha256:[0-9a-f]*' "$REGISTRY_TMP/EVIL.log" | sort | uniq -c | sort -rn | awk 'NR == 1 {print $1}')
[ "${requests:-0}" -ge 2 ] || fail "no second request for the cut layer: $(grep cut "$REGISTRY_TMP/EVIL.log")"
store_check
pass "a layer cut mid-way is resumed with Range"

# Redirect to another host: followed, without the registry's credentials
# (an empty store, so that the blobs are fetched).
rm -rf "$CONTAINERV_ROOT/images"
cv 0 pull --tls-verify=false --creds alice:secret "$GUARDED_HOST/redirect"
grep -q '^blobstore .* auth=no' "$REGISTRY_TMP/GUARDED.log" || fail "the redirect was not followed"
! grep -q '^blobstore .* auth=yes' "$REGISTRY_TMP/GUARDED.log" || fail "credentials were sent to the redirect target"
store_check
pass "307 to another host followed without credentials"

# A token that expires during the pull (the layer refuses the first one): a new token, once.
rm -rf "$CONTAINERV_ROOT/images"
cv 0 pull --tls-verify=false "$TOKENED_HOST/good"
[ "$(grep -c '^GET /token' "$REGISTRY_TMP/TOKENED.log")" = 2 ] || fail "expected two token requests: $(cat "$REGISTRY_TMP/TOKENED.log")"
store_check
pass "an expired bearer token is renewed in the middle of the downloads"

# The store is still usable: a good pull of the same content works and runs.
cv 0 pull --tls-verify=false "$H/good"
cv 0 run --rm --network none "$H/good" echo still-fine
[ "$OUT" = still-fine ] || fail "the good image did not run: $OUT"
store_check
pass "after all that, a good pull works and runs"
