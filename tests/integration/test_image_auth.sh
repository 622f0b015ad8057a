#!/usr/bin/env bash
# Registry authentication against real peers:
#   - htpasswd basic auth over TLS (self-signed certificate made here):
#     unknown CA refused, wrong password refused, right one works; login
#     checks the password before storing it (0600), pull and push then use
#     the stored credentials; logout removes them; docker's config.json and
#     its credential helpers are read too;
#   - token auth (tests/integration/token-server.py signs the JWTs): wrong
#     password refused, right one pulls and pushes, anonymous pulls but may
#     not push.
#
# Needs root, docker-registry, skopeo, umoci, htpasswd, openssl, python3.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"

export HOME=$TEST_TMP/home # login files land here, not in the caller's home
mkdir -p "$HOME"
unset REGISTRY_AUTH_FILE XDG_CONFIG_HOME XDG_RUNTIME_DIR DOCKER_CONFIG

registry_start_basic_tls BASIC alice 'pa$$word'
registry_start_token TOKEN bob hunter2
make_busybox_layout "$TEST_TMP/layout" v1 /bin/sh
skopeo copy -q --dest-cert-dir "$BASIC_CERT_DIR" --dest-creds 'alice:pa$$word' "oci:$TEST_TMP/layout:v1" \
	"docker://$BASIC_HOST/secure/busybox:v1" || fail "skopeo copy to the basic-auth registry"
skopeo copy -q --dest-tls-verify=false --dest-creds bob:hunter2 "oci:$TEST_TMP/layout:v1" \
	"docker://$TOKEN_HOST/tok/busybox:v1" || fail "skopeo copy to the token registry"
B=$BASIC_HOST/secure/busybox:v1

# --- Basic auth over TLS.
cv 1 pull "$B"
one_error_line "certificate"
cv 1 pull --cert-dir "$BASIC_CERT_DIR" "$B"
one_error_line "401"
cv 1 pull --cert-dir "$BASIC_CERT_DIR" --creds alice:wrong "$B"
one_error_line "401"
[[ "$ERR" == *"$BASIC_HOST"* ]] || fail "error does not name the registry: $ERR"
cv 0 pull --cert-dir "$BASIC_CERT_DIR" --creds 'alice:pa$$word' "$B"
store_check
pass "basic auth over TLS: unknown CA, no and wrong password refused; right password pulls"

cv 1 login --cert-dir "$BASIC_CERT_DIR" -u alice -p wrong "$BASIC_HOST"
one_error_line "wrong user name or password"
[ ! -e "$HOME/.config/containerv/auth.json" ] || fail "a refused login was stored"
set +e
OUT=$(printf '%s\n' 'pa$$word' | "$CONTAINERV" login --cert-dir "$BASIC_CERT_DIR" -u alice --password-stdin "$BASIC_HOST" 2>&1)
CODE=$?
set -e
[ "$CODE" = 0 ] || fail "login --password-stdin: $OUT"
[ "$(stat -c %a "$HOME/.config/containerv/auth.json")" = 600 ] || fail "login file is not 0600"
! grep -q 'pa\$\$word' "$HOME/.config/containerv/auth.json" || fail "password stored in clear"
rm -rf "$CONTAINERV_ROOT/images"
cv 0 pull --cert-dir "$BASIC_CERT_DIR" "$B"
cv 0 push --cert-dir "$BASIC_CERT_DIR" "$B" "$BASIC_HOST/secure/pushed:v1"
skopeo inspect --cert-dir "$BASIC_CERT_DIR" --creds 'alice:pa$$word' "docker://$BASIC_HOST/secure/pushed:v1" >/dev/null ||
	fail "skopeo cannot see the pushed image"
cv 0 logout "$BASIC_HOST"
cv 1 logout "$BASIC_HOST"
one_error_line "not logged in"
cv 1 pull --cert-dir "$BASIC_CERT_DIR" "$B"
one_error_line "401"
pass "login stores checked credentials (0600); pull and push use them; logout removes them"

# docker's config.json and REGISTRY_AUTH_FILE are read too.
mkdir -p "$HOME/.docker"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$BASIC_HOST" "$(printf '%s' 'alice:pa$$word' | base64 -w0)" \
	>"$HOME/.docker/config.json"
cv 0 pull --cert-dir "$BASIC_CERT_DIR" "$B"
mv "$HOME/.docker/config.json" "$TEST_TMP/other-auth.json"
REGISTRY_AUTH_FILE=$TEST_TMP/other-auth.json cv 0 pull --cert-dir "$BASIC_CERT_DIR" "$B"
# docker's credential helpers: credHelpers for one registry, credsStore for any (a helper made
# here: it answers for the basic-auth registry only, and records what it was asked).
mkdir -p "$TEST_TMP/bin"
cat >"$TEST_TMP/bin/docker-credential-cvtest" <<HELPER
#!/bin/sh
[ "\$1" = get ] || exit 2
read -r server
echo "\$server" >>"$TEST_TMP/helper.log"
[ "\$server" = "$BASIC_HOST" ] || { echo "credentials not found in native keychain"; exit 1; }
printf '{"ServerURL":"%s","Username":"alice","Secret":"%s"}\n' "\$server" 'pa\$\$word'
HELPER
chmod +x "$TEST_TMP/bin/docker-credential-cvtest"
mkdir -p "$HOME/.docker"
printf '{"auths":{},"credHelpers":{"%s":"cvtest"}}\n' "$BASIC_HOST" >"$HOME/.docker/config.json"
PATH=$TEST_TMP/bin:$PATH cv 0 pull --cert-dir "$BASIC_CERT_DIR" "$B"
grep -qx "$BASIC_HOST" "$TEST_TMP/helper.log" || fail "the credential helper was not asked"
printf '{"auths":{},"credsStore":"cvtest"}\n' >"$HOME/.docker/config.json"
PATH=$TEST_TMP/bin:$PATH cv 0 pull --cert-dir "$BASIC_CERT_DIR" "$B"
printf '{"credHelpers":{"%s":"missing-helper"}}\n' "$BASIC_HOST" >"$HOME/.docker/config.json"
cv 1 pull --cert-dir "$BASIC_CERT_DIR" "$B"
one_error_line "docker-credential-missing-helper"
rm "$HOME/.docker/config.json"
pass "credentials from ~/.docker/config.json, REGISTRY_AUTH_FILE and credential helpers"

# --- Token auth.
T=$TOKEN_HOST/tok/busybox:v1
cv 1 pull --tls-verify=false --creds bob:wrong "$T"
one_error_line "wrong user name or password"
cv 0 pull --tls-verify=false --creds bob:hunter2 "$T"
grep -q 'scope=repository%3Atok%2Fbusybox%3Apull' "$TOKEN_TOKEN_LOG" || fail "no token asked for the pull scope"
cv 0 push --tls-verify=false --creds bob:hunter2 "$T" "$TOKEN_HOST/tok/copy:v1"
skopeo inspect --tls-verify=false --creds bob:hunter2 "docker://$TOKEN_HOST/tok/copy:v1" >/dev/null ||
	fail "skopeo cannot see the image pushed with a token"
rm -rf "$CONTAINERV_ROOT/images"
cv 0 pull --tls-verify=false "$T"
cv 1 push --tls-verify=false "$T" "$TOKEN_HOST/tok/anonymous:v1"
one_error_line "401"
cv 0 login --tls-verify=false -u bob -p hunter2 "$TOKEN_HOST"
cv 0 push --tls-verify=false "$T" "$TOKEN_HOST/tok/logged-in:v1"
store_check
pass "token auth: wrong password refused; pull and push with a token; anonymous may pull, not push"
