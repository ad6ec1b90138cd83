# Shared by the shell scenarios (sourced): step reporting, Debian's AWS CLI set up in $SCRATCH,
# and the presigned-URL check. See clients/CONTRACT.md.

failures=0
ok()  { echo "ok $1"; }
nok() { echo "not ok $1: $2"; failures=$((failures + 1)); }

AWS_BIN=/usr/bin/aws

# use_aws_cli: Debian's AWS CLI v2 with the root token, its configuration kept under $HOME.
use_aws_cli() {
    mkdir -p "$HOME/.aws"
    export AWS_CONFIG_FILE="$HOME/.aws/config"
    export AWS_SHARED_CREDENTIALS_FILE="$HOME/.aws/credentials"
    printf '[default]\nregion = us-east-1\noutput = json\ns3 =\n    addressing_style = path\n' >"$AWS_CONFIG_FILE"
    : >"$AWS_SHARED_CREDENTIALS_FILE"
    unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CA_BUNDLE AWS_ENDPOINT_URL \
          PYTHONPATH PYTHONHOME 2>/dev/null || true
    export AWS_ACCESS_KEY_ID="$STRATA_TOKEN" AWS_SECRET_ACCESS_KEY="$STRATA_TOKEN"
    export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
}

# aws_ ARGS...: stdout and stderr go to the log.
aws_() {
    echo "+ aws $*" >>"$LOG"
    "$AWS_BIN" --endpoint-url "$STRATA_ENDPOINT" "$@" >>"$LOG" 2>&1
}
# awsq ARGS...: stdout is printed (for --query output), stderr goes to the log.
awsq() {
    echo "+ aws $*" >>"$LOG"
    "$AWS_BIN" --endpoint-url "$STRATA_ENDPOINT" "$@" 2>>"$LOG"
}

# check_presign CLIENT URL EXPECTED_FILE: a SigV4 presigned URL serves the file, and the same
# URL with one signature digit changed is refused with 403.
check_presign() {
    local client=$1 url=$2 expected=$3 code bad_code sig repl bad_url
    rm -f "$W/presign.out"
    echo "+ curl $url" >>"$LOG"
    code=$(curl -s -o "$W/presign.out" -w '%{http_code}' "$url" 2>>"$LOG")
    bad_url="$url"
    sig=$(printf '%s' "$url" | sed -nE 's/.*[?&]X-Amz-Signature=([0-9a-f]+).*/\1/p')
    if [ -n "$sig" ]; then
        repl=0; [ "${sig:0:1}" = 0 ] && repl=1
        bad_url=${url/X-Amz-Signature=$sig/X-Amz-Signature=$repl${sig:1}}
    fi
    bad_code=$(curl -s -o /dev/null -w '%{http_code}' "$bad_url" 2>>"$LOG")
    if [ -z "$url" ]; then
        nok presign-get "$client printed no URL"
    elif [ "$code" != 200 ] || ! cmp -s "$expected" "$W/presign.out"; then
        nok presign-get "curl of the presigned URL answered $code or other content"
    elif [ "$bad_code" != 403 ]; then
        nok presign-get "curl of a presigned URL with a tampered signature answered $bad_code, expected 403"
    else
        ok presign-get
    fi
}
