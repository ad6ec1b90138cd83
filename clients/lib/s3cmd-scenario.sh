#!/usr/bin/env bash
# Real-client scenario: Debian's s3cmd against Strata. Called by scenarios/s3cmd-v4.sh and
# scenarios/s3cmd-v2.sh with the signature version as its argument (v4 or v2).
# See clients/CONTRACT.md for the environment, the output format and the step names.
# s3cmd speaks ListObjects v1 only and cannot read an older version, so there is no list-v2 and
# no old-version step; get-range uses `s3cmd get --continue`, which asks for `Range: bytes=N-`.
set -u
. "$(dirname "$0")/common.sh"

case "${1:-v4}" in
    v2) SIGV2=True; NAME=s3cmd-v2 ;;
    *) SIGV2=False; NAME=s3cmd-v4 ;;
esac

if ! command -v s3cmd >/dev/null 2>&1; then
    echo "skip: s3cmd not installed"
    exit 77
fi
for v in STRATA_HOST STRATA_TOKEN STRATA_BUCKET SCRATCH; do
    if [ -z "${!v:-}" ]; then echo "missing environment variable $v" >&2; exit 2; fi
done

B="$STRATA_BUCKET"
LOG="$SCRATCH/$NAME.log"
W="$SCRATCH/work"
mkdir -p "$W" "$SCRATCH/home"
: >"$LOG"
export HOME="$SCRATCH/home" LC_ALL=C.UTF-8
unset AWS_CA_BUNDLE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN 2>/dev/null || true

# write_config FILE SECRET: host_bucket without %(bucket)s makes s3cmd use path-style requests.
write_config() {
    cat >"$1" <<EOF
[default]
access_key = $STRATA_TOKEN
secret_key = $2
host_base = $STRATA_HOST
host_bucket = $STRATA_HOST
use_https = False
check_ssl_certificate = False
signature_v2 = $SIGV2
bucket_location = us-east-1
multipart_chunk_size_mb = 5
progress_meter = False
EOF
}
CFG="$SCRATCH/s3cfg"
BADCFG="$SCRATCH/s3cfg-wrong-secret"
write_config "$CFG" "$STRATA_TOKEN"
write_config "$BADCFG" wrong


# s3 ARGS...: stdout and stderr go to the log.
s3() {
    echo "+ s3cmd $*" >>"$LOG"
    s3cmd -c "$CFG" "$@" >>"$LOG" 2>&1
}
# s3q ARGS...: stdout is printed, stderr goes to the log.
s3q() {
    echo "+ s3cmd $*" >>"$LOG"
    s3cmd -c "$CFG" "$@" 2>>"$LOG"
}
# get KEY FILE: download one object.
get() { rm -f "$2"; s3 get --force "s3://$B/$1" "$2"; }
# keys_under PREFIX: the object keys and DIR prefixes `s3cmd ls` prints, one a line, without s3://B/.
keys_under() { s3q ls "s3://$B/$1" | sed -nE "s#^.*s3://$B/##p"; }

# s3cmd retries a refused connection five times with growing waits (45 s a command, not
# configurable), so a server that cannot be reached fails every step at once.
STEPS="create-bucket put-small put-multipart head-metadata list-v1 get-range copy delete multi-delete"
STEPS="$STEPS presign-get special-key wrong-secret"
if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://$STRATA_HOST/" 2>>"$LOG")" = 000 ]; then
    for step in $STEPS; do nok "$step" "no HTTP answer from http://$STRATA_HOST/"; done
    exit 1
fi

printf 'hello strata from s3cmd\n0123456789abcdefghijklmnopqrstuvwxyz\n' >"$W/small.txt"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$W/big.bin"

# --- create-bucket ---------------------------------------------------------------------------
if s3 mb "s3://$B" && s3 info "s3://$B"; then
    ok create-bucket
else
    nok create-bucket "s3cmd mb s3://$B failed (see $LOG)"
fi

# --- put-small -------------------------------------------------------------------------------
if ! s3 put "$W/small.txt" "s3://$B/small.txt"; then
    nok put-small "s3cmd put failed"
elif ! get small.txt "$W/small.out" || ! cmp -s "$W/small.txt" "$W/small.out"; then
    nok put-small "content read back differs"
else
    ok put-small
fi

# --- put-multipart (12 MiB in 5 MiB parts) ----------------------------------------------------
MPLOG="$SCRATCH/$NAME-multipart.log"
if ! s3cmd -c "$CFG" -d put "$W/big.bin" "s3://$B/big/big.bin" >"$MPLOG" 2>&1; then
    nok put-multipart "s3cmd put of 12 MiB failed (see $MPLOG)"
elif ! grep -q 'MultiPart: Upload finished: 3 parts' "$MPLOG"; then
    nok put-multipart "s3cmd did not upload in 3 parts (see $MPLOG)"
elif ! get big/big.bin "$W/big.out" || ! cmp -s "$W/big.bin" "$W/big.out"; then
    nok put-multipart "content read back differs"
else
    ok put-multipart
fi

# --- head-metadata ---------------------------------------------------------------------------
if ! s3 put --add-header=x-amz-meta-color:blue --mime-type=text/x-strata "$W/small.txt" "s3://$B/meta.txt"; then
    nok head-metadata "s3cmd put with metadata failed"
else
    info=$(s3q info "s3://$B/meta.txt")
    echo "$info" >>"$LOG"
    if ! grep -qE '^ *MIME type: *text/x-strata$' <<<"$info"; then
        nok head-metadata "s3cmd info shows no 'MIME type: text/x-strata'"
    elif ! grep -qE '^ *x-amz-meta-color: *blue$' <<<"$info"; then
        nok head-metadata "s3cmd info shows no 'x-amz-meta-color: blue'"
    elif ! grep -qE "^ *File size: *$(wc -c <"$W/small.txt" | tr -d ' ')$" <<<"$info"; then
        nok head-metadata "s3cmd info shows a wrong file size"
    else
        ok head-metadata
    fi
fi

# --- list-v1 (prefix + delimiter /) -----------------------------------------------------------
for k in list/a.txt list/b.txt list/sub/c.txt list/sub/d.txt list/z.txt; do
    s3 put "$W/small.txt" "s3://$B/$k" || true
done
got=$(keys_under list/ | sort | tr '\n' ' ')
want="list/a.txt list/b.txt list/sub/ list/z.txt "
got_r=$(s3q ls --recursive "s3://$B/list/" | sed -nE "s#^.*s3://$B/##p" | sort | tr '\n' ' ')
want_r="list/a.txt list/b.txt list/sub/c.txt list/sub/d.txt list/z.txt "
if [ "$got" != "$want" ]; then
    nok list-v1 "s3cmd ls s3://$B/list/ gave '$got', expected '$want'"
elif [ "$got_r" != "$want_r" ]; then
    nok list-v1 "s3cmd ls --recursive gave '$got_r', expected '$want_r'"
else
    ok list-v1
fi

# --- get-range (s3cmd get --continue resumes with Range: bytes=N-) ----------------------------
head -c 6 "$W/small.txt" >"$W/range.out"
RLOG="$SCRATCH/$NAME-range.log"
if ! s3cmd -c "$CFG" -d get --continue "s3://$B/small.txt" "$W/range.out" >"$RLOG" 2>&1; then
    nok get-range "s3cmd get --continue failed (see $RLOG)"
elif ! grep -q "'content-range': 'bytes 6-" "$RLOG"; then
    nok get-range "no ranged response (Content-Range bytes 6-...) seen (see $RLOG)"
elif ! cmp -s "$W/small.txt" "$W/range.out"; then
    nok get-range "resumed file differs from the original"
else
    ok get-range
fi

# --- copy (server-side) ----------------------------------------------------------------------
if ! s3 cp "s3://$B/meta.txt" "s3://$B/copy/meta-copy.txt"; then
    nok copy "s3cmd cp failed"
elif ! get copy/meta-copy.txt "$W/copy.out" || ! cmp -s "$W/small.txt" "$W/copy.out"; then
    nok copy "copied content differs"
elif ! s3q info "s3://$B/copy/meta-copy.txt" | grep -qE '^ *x-amz-meta-color: *blue$'; then
    nok copy "copy lost user metadata"
else
    ok copy
fi

# --- delete ----------------------------------------------------------------------------------
if ! s3 del "s3://$B/copy/meta-copy.txt"; then
    nok delete "s3cmd del failed"
elif [ -n "$(keys_under copy/)" ]; then
    nok delete "object still listed after s3cmd del"
elif s3 info "s3://$B/copy/meta-copy.txt"; then
    nok delete "s3cmd info still finds the object"
else
    ok delete
fi

# --- multi-delete (s3cmd del --recursive sends one POST ?delete) ------------------------------
for k in md/del/1.txt md/del/2.txt md/del/3.txt md/keep.txt; do
    s3 put "$W/small.txt" "s3://$B/$k" || true
done
MDLOG="$SCRATCH/$NAME-multi-delete.log"
if ! s3cmd -c "$CFG" -d del --recursive "s3://$B/md/del/" >"$MDLOG" 2>&1; then
    nok multi-delete "s3cmd del --recursive failed (see $MDLOG)"
elif ! grep -q "method_string='POST', uri='/$B/?delete'" "$MDLOG"; then
    nok multi-delete "s3cmd did not send a DeleteObjects request (see $MDLOG)"
else
    left=$(s3q ls --recursive "s3://$B/md/" | sed -nE "s#^.*s3://$B/##p" | tr '\n' ' ')
    if [ "$left" != "md/keep.txt " ]; then
        nok multi-delete "keys left under md/: '$left', expected 'md/keep.txt'"
    else
        ok multi-delete
    fi
fi

# --- presign-get (s3cmd signurl makes a SigV2 query-string URL) --------------------------------
url=$(s3q signurl "s3://$B/small.txt" +300)
echo "+ curl $url" >>"$LOG"
rm -f "$W/presign.out"
code=$(curl -s -o "$W/presign.out" -w '%{http_code}' "$url" 2>>"$LOG")
# A tampered URL: another Expires than the one signed.
exp=$(printf '%s' "$url" | sed -nE 's/.*[?&]Expires=([0-9]+).*/\1/p')
bad_url="$url"
[ -n "$exp" ] && bad_url=${url/Expires=$exp/Expires=$((exp + 1))}
bad_code=$(curl -s -o /dev/null -w '%{http_code}' "$bad_url" 2>>"$LOG")
if [ -z "$url" ]; then
    nok presign-get "s3cmd signurl printed nothing"
elif [ "$code" != 200 ] || ! cmp -s "$W/small.txt" "$W/presign.out"; then
    nok presign-get "curl of the signed URL answered $code or other content"
elif [ "$bad_code" != 403 ]; then
    nok presign-get "curl of a signed URL with a changed Expires answered $bad_code, expected 403"
else
    ok presign-get
fi

# --- special-key -----------------------------------------------------------------------------
SK='dir/a b+c&d=e-é.txt'
printf 'special key content\n' >"$W/special.txt"
if ! s3 put "$W/special.txt" "s3://$B/$SK"; then
    nok special-key "s3cmd put to '$SK' failed"
else
    listed=$(keys_under dir/)
    if [ "$listed" != "$SK" ]; then
        nok special-key "s3cmd ls s3://$B/dir/ gave '$listed', expected '$SK'"
    elif ! get "$SK" "$W/special.out" || ! cmp -s "$W/special.txt" "$W/special.out"; then
        nok special-key "s3cmd get of '$SK' failed or differs"
    else
        ok special-key
    fi
fi

# --- wrong-secret ----------------------------------------------------------------------------
printf 'written with a wrong secret\n' >"$W/evil.txt"
WLOG="$SCRATCH/$NAME-wrong-secret.log"
if s3cmd -c "$BADCFG" put "$W/evil.txt" "s3://$B/small.txt" >"$WLOG" 2>&1; then
    nok wrong-secret "s3cmd put with a wrong secret succeeded"
elif ! grep -q '403' "$WLOG"; then
    nok wrong-secret "s3cmd put with a wrong secret failed, but not with 403 (see $WLOG)"
elif ! get small.txt "$W/after.out" || ! cmp -s "$W/small.txt" "$W/after.out"; then
    nok wrong-secret "the object changed after the refused put"
else
    ok wrong-secret
fi

[ "$failures" -eq 0 ]
