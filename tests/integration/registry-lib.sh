# Registries for the image tests (sourced after lib.sh, not run): Debian's
# docker-registry (CNCF distribution 2.8) on 127.0.0.1 with a free port and
# a temporary storage directory, in three set-ups:
#
#   registry_start_anonymous NAME     plain http, no auth
#   registry_start_basic_tls NAME USER PASSWORD
#                                     htpasswd basic auth over TLS; a self-signed
#                                     certificate made here ($REGISTRY_CERTS/NAME/ca.crt)
#   registry_start_token NAME USER PASSWORD
#                                     token auth; tests/integration/token-server.py
#                                     signs the JWTs with a key made here
#
# Each sets ${NAME}_HOST=127.0.0.1:PORT (and ${NAME}_CERT_DIR for TLS). Every
# process started is stopped and every file removed by the EXIT trap, also when
# a test fails. Also: make_busybox_layout DIR TAG (an OCI layout of the
# built-in busybox rootfs, made with umoci) and free_port. The tests run
# their containers with --network none: images need no network, and the
# host's bridges are shared with whatever else runs there.

REGISTRY_TMP=$(mktemp -d /tmp/cvregistry.XXXXXX)
REGISTRY_CERTS=$REGISTRY_TMP/certs
registry_pids=()
TOKEN_SERVER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/token-server.py

registry_cleanup() {
	local pid
	for pid in "${registry_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${registry_pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$REGISTRY_TMP"
}
# lib.sh's trap first removes containers; then the registries go.
trap 'registry_cleanup; cleanup' EXIT

for tool in docker-registry skopeo umoci openssl htpasswd python3 curl; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/install-deps.sh)"; exit 0; }
done

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_http URL: until anything answers (any HTTP status), 10 s at most.
wait_for_http() {
	local url=$1
	for _ in $(seq 100); do
		if [ "$(curl -sk -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" != 000 ]; then
			return 0
		fi
		sleep 0.1
	done
	fail "nothing answers at $url"
}

# registry_config NAME PORT EXTRA_HTTP EXTRA_TOP: writes NAME's config, prints its path.
registry_config() {
	local name=$1 port=$2 http_extra=$3 top_extra=$4 dir=$REGISTRY_TMP/$1
	mkdir -p "$dir/storage"
	cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
$http_extra
$top_extra
EOF
	echo "$dir/config.yml"
}

registry_run() {
	local name=$1 config=$2
	docker-registry serve "$config" >"$REGISTRY_TMP/$name/log" 2>&1 &
	registry_pids+=($!)
}

registry_start_anonymous() {
	local name=$1 port config
	port=$(free_port)
	config=$(registry_config "$name" "$port" "" "")
	registry_run "$name" "$config"
	wait_for_http "http://127.0.0.1:$port/v2/"
	printf -v "${name}_HOST" '%s' "127.0.0.1:$port"
}

# make_cert DIR: a self-signed certificate for 127.0.0.1/localhost (DIR/ca.crt, DIR/key.pem).
make_cert() {
	local dir=$1
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
		-keyout "$dir/key.pem" -out "$dir/ca.crt" >/dev/null 2>&1 || fail "openssl req"
}

registry_start_basic_tls() {
	local name=$1 user=$2 password=$3 port config dir=$REGISTRY_TMP/$1
	port=$(free_port)
	mkdir -p "$dir"
	make_cert "$REGISTRY_CERTS/$name"
	htpasswd -Bbn "$user" "$password" >"$dir/htpasswd" 2>/dev/null || fail "htpasswd"
	config=$(registry_config "$name" "$port" "  tls:
    certificate: $REGISTRY_CERTS/$name/ca.crt
    key: $REGISTRY_CERTS/$name/key.pem" "auth:
  htpasswd:
    realm: containerv-test
    path: $dir/htpasswd")
	registry_run "$name" "$config"
	wait_for_http "https://127.0.0.1:$port/v2/"
	printf -v "${name}_HOST" '%s' "127.0.0.1:$port"
	printf -v "${name}_CERT_DIR" '%s' "$REGISTRY_CERTS/$name"
}

registry_start_token() {
	local name=$1 user=$2 password=$3 port token_port config dir=$REGISTRY_TMP/$1
	port=$(free_port)
	token_port=$(free_port)
	mkdir -p "$dir"
	make_cert "$dir/signing"
	printf '%s:%s\n' "$user" "$password" >"$dir/users"
	TOKEN_SERVER_LOG=$dir/token.log python3 "$TOKEN_SERVER" "$token_port" "$dir/signing/key.pem" \
		"$dir/signing/ca.crt" "$dir/users" containerv-registry containerv-issuer >"$dir/token-server.log" 2>&1 &
	registry_pids+=($!)
	config=$(registry_config "$name" "$port" "" "auth:
  token:
    realm: http://127.0.0.1:$token_port/token
    service: containerv-registry
    issuer: containerv-issuer
    rootcertbundle: $dir/signing/ca.crt")
	registry_run "$name" "$config"
	wait_for_http "http://127.0.0.1:$token_port/"
	wait_for_http "http://127.0.0.1:$port/v2/"
	printf -v "${name}_HOST" '%s' "127.0.0.1:$port"
	printf -v "${name}_TOKEN_LOG" '%s' "$dir/token.log"
}

# make_busybox_layout DIR TAG [CMD...]: an OCI image layout holding the built-in
# busybox rootfs as one layer, made by umoci (a peer, not containerv).
make_busybox_layout() {
	local layout=$1 tag=$2
	shift 2
	local bundle=$REGISTRY_TMP/bundle.$$.$RANDOM
	[ -d "$layout" ] || umoci init --layout "$layout" || fail "umoci init"
	umoci new --image "$layout:$tag" || fail "umoci new"
	umoci unpack --image "$layout:$tag" "$bundle" >/dev/null || fail "umoci unpack"
	cp -a "$CV_TEST_ROOTFS/." "$bundle/rootfs/"
	umoci repack --image "$layout:$tag" "$bundle" >/dev/null || fail "umoci repack"
	umoci config --image "$layout:$tag" --os linux --architecture amd64 \
		--config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin ${1:+--config.cmd "$1"} || fail "umoci config"
	rm -rf "$bundle"
}

# store_check: the image store under $CONTAINERV_ROOT is consistent: every
# blob's content matches its name, and every name in index.json points at a
# blob that is there.
store_check() {
	local images=$CONTAINERV_ROOT/images blob digest
	[ -d "$images" ] || return 0
	for blob in "$images"/blobs/sha256/*; do
		[ -e "$blob" ] || continue
		[ "$(sha256sum <"$blob" | cut -d' ' -f1)" = "$(basename "$blob")" ] || fail "store: blob $(basename "$blob") is corrupt"
	done
	for digest in $(jq -r '.manifests[].digest' "$images/index.json"); do
		[ -f "$images/blobs/sha256/${digest#sha256:}" ] || fail "store: index.json names $digest, which is missing"
	done
}

# store_names: the names in index.json, one a line.
store_names() {
	jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"] // empty' "$CONTAINERV_ROOT/images/index.json" 2>/dev/null || true
}

# store_digest NAME: the manifest digest NAME points at.
store_digest() {
	jq -r --arg n "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' \
		"$CONTAINERV_ROOT/images/index.json"
}

# manifest_digest HOST REPO TAG: the registry's digest for a manifest (all four media types accepted).
manifest_digest() {
	curl -sf -o /dev/null -D - "http://$1/v2/$2/manifests/$3" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' |
		tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}'
}
