#!/usr/bin/env bash
# Real-client scenario: Debian's rclone (1.60) against Strata, remote "st" configured by environment.
# See clients/CONTRACT.md for the environment, the output format and the step names.
# rclone can list with v1 and v2 (--s3-list-version), reads ranges with `cat --offset --count`,
# presigns with `rclone link`; it cannot read an older version, so there is no old-version step.
# rclone 1.60 deletes several files with one DELETE each (it has no DeleteObjects call).
set -u
. "$(dirname "$0")/../lib/common.sh"

if ! command -v rclone >/dev/null 2>&1; then
    echo "skip: rclone not installed"
    exit 77
fi
for v in STRATA_ENDPOINT STRATA_TOKEN STRATA_BUCKET SCRATCH; do
    if [ -z "${!v:-}" ]; then echo "missing environment variable $v" >&2; exit 2; fi
done

B="$STRATA_BUCKET"
LOG="$SCRATCH/rclone.log"
W="$SCRATCH/work"
mkdir -p "$W" "$SCRATCH/home"
: >"$LOG"
export HOME="$SCRATCH/home" LC_ALL=C.UTF-8
export RCLONE_CONFIG="$SCRATCH/rclone.conf"
: >"$RCLONE_CONFIG"
export RCLONE_CONFIG_ST_TYPE=s3 RCLONE_CONFIG_ST_PROVIDER=Other RCLONE_CONFIG_ST_ENDPOINT="$STRATA_ENDPOINT" \
       RCLONE_CONFIG_ST_ACCESS_KEY_ID="$STRATA_TOKEN" RCLONE_CONFIG_ST_SECRET_ACCESS_KEY="$STRATA_TOKEN" \
       RCLONE_CONFIG_ST_REGION=us-east-1 RCLONE_CONFIG_ST_FORCE_PATH_STYLE=true
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE 2>/dev/null || true


# rclone 1.60 fails when AWS_CA_BUNDLE is set, so it is always run without it.
# rc ARGS...: stdout and stderr go to the log.
rc() {
    echo "+ rclone $*" >>"$LOG"
    env -u AWS_CA_BUNDLE rclone --retries 1 --low-level-retries 2 "$@" >>"$LOG" 2>&1
}
# rcq ARGS...: stdout is printed, stderr goes to the log.
rcq() {
    echo "+ rclone $*" >>"$LOG"
    env -u AWS_CA_BUNDLE rclone --retries 1 --low-level-retries 2 "$@" 2>>"$LOG"
}
# rcd LOGFILE ARGS...: with request/response headers dumped to LOGFILE.
rcd() {
    local f=$1; shift
    echo "+ rclone -vv --dump headers $* (log: $f)" >>"$LOG"
    env -u AWS_CA_BUNDLE rclone --retries 1 --low-level-retries 2 -vv --dump headers "$@" >"$f" 2>&1
}
# get KEY FILE: download one object.
get() { rm -f "$2"; rcq cat "st:$B/$1" >"$2"; }
md5() { md5sum "$1" | cut -d' ' -f1; }

printf 'hello strata from rclone\n0123456789abcdefghijklmnopqrstuvwxyz\n' >"$W/small.txt"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$W/big.bin"

# --- create-bucket ---------------------------------------------------------------------------
if ! rc mkdir "st:$B"; then
    nok create-bucket "rclone mkdir st:$B failed (see $LOG)"
elif ! rcq lsf "st:" | grep -qxF "$B/"; then
    nok create-bucket "rclone lsf st: does not list $B/"
else
    ok create-bucket
fi

# --- put-small -------------------------------------------------------------------------------
if ! rc copyto "$W/small.txt" "st:$B/small.txt"; then
    nok put-small "rclone copyto failed"
elif ! get small.txt "$W/small.out" || ! cmp -s "$W/small.txt" "$W/small.out"; then
    nok put-small "content read back differs"
else
    ok put-small
fi

# --- put-multipart (12 MiB in 5 MiB chunks) ---------------------------------------------------
MPLOG="$SCRATCH/rclone-multipart.log"
if ! rcd "$MPLOG" --s3-upload-cutoff 5M --s3-chunk-size 5M copyto "$W/big.bin" "st:$B/big/big.bin"; then
    nok put-multipart "rclone copyto of 12 MiB failed (see $MPLOG)"
elif ! grep -qE "POST /$B/big/big.bin\?uploads" "$MPLOG"; then
    nok put-multipart "rclone did not start a multipart upload (see $MPLOG)"
elif [ "$(rcq md5sum "st:$B/big/" | cut -d' ' -f1)" != "$(md5 "$W/big.bin")" ]; then
    nok put-multipart "rclone md5sum differs from the local file's"
elif ! get big/big.bin "$W/big.out" || ! cmp -s "$W/big.bin" "$W/big.out"; then
    nok put-multipart "content read back differs"
else
    ok put-multipart
fi

# --- head-metadata (rclone --metadata-set; lsjson -M reads it back with a HEAD) ----------------
if ! rc --metadata --metadata-set color=blue --metadata-set content-type=text/x-strata \
        copyto "$W/small.txt" "st:$B/meta.txt"; then
    nok head-metadata "rclone copyto with --metadata-set failed"
else
    js=$(rcq lsjson -M "st:$B/meta.txt")
    echo "$js" >>"$LOG"
    if [[ "$js" != *'"MimeType":"text/x-strata"'* ]]; then
        nok head-metadata "lsjson -M shows no MimeType text/x-strata: $js"
    elif [[ "$js" != *'"color":"blue"'* ]]; then
        nok head-metadata "lsjson -M shows no color=blue metadata: $js"
    elif [[ "$js" != *"\"Size\":$(wc -c <"$W/small.txt" | tr -d ' ')"* ]]; then
        nok head-metadata "lsjson -M shows a wrong size: $js"
    elif [ "$(rcq md5sum "st:$B/meta.txt" | cut -d' ' -f1)" != "$(md5 "$W/small.txt")" ]; then
        nok head-metadata "rclone md5sum differs from the local file's"
    else
        ok head-metadata
    fi
fi

# --- list-v1 / list-v2 (prefix + delimiter, one key per page to exercise markers/tokens) -------
for k in list/a.txt list/b.txt list/sub/c.txt list/sub/d.txt list/z.txt; do
    rc copyto "$W/small.txt" "st:$B/$k" || true
done
want="a.txt b.txt sub/ z.txt "
want_r="a.txt b.txt sub/ sub/c.txt sub/d.txt z.txt "
for ver in 1 2; do
    step=list-v$ver
    got=$(rcq lsf --s3-list-version "$ver" --s3-list-chunk 1 "st:$B/list/" | sort | tr '\n' ' ')
    got_r=$(rcq lsf -R --s3-list-version "$ver" --s3-list-chunk 1 "st:$B/list/" | sort | tr '\n' ' ')
    got_ls=$(rcq ls --s3-list-version "$ver" "st:$B/list/" | awk '{print $2}' | sort | tr '\n' ' ')
    if [ "$got" != "$want" ]; then
        nok "$step" "lsf st:$B/list/ gave '$got', expected '$want'"
    elif [ "$got_r" != "$want_r" ]; then
        nok "$step" "lsf -R st:$B/list/ gave '$got_r', expected '$want_r'"
    elif [ "$got_ls" != "a.txt b.txt sub/c.txt sub/d.txt z.txt " ]; then
        nok "$step" "ls st:$B/list/ gave '$got_ls'"
    else
        ok "$step"
    fi
done

# --- get-range -------------------------------------------------------------------------------
part=$(rcq cat --offset 6 --count 6 "st:$B/small.txt")
tail_=$(rcq cat --offset 50 "st:$B/small.txt")
if [ "$part" != strata ]; then
    nok get-range "cat --offset 6 --count 6 gave '$part', expected 'strata'"
elif [ "$tail_" != "$(tail -c +51 "$W/small.txt")" ]; then
    nok get-range "cat --offset 50 gave '$tail_', expected '$(tail -c +51 "$W/small.txt")'"
else
    ok get-range
fi

# --- copy (server-side, remote -> remote) -----------------------------------------------------
CPLOG="$SCRATCH/rclone-copy.log"
if ! rcd "$CPLOG" copyto "st:$B/meta.txt" "st:$B/copy/meta-copy.txt"; then
    nok copy "rclone copyto remote->remote failed (see $CPLOG)"
elif ! grep -qi 'X-Amz-Copy-Source:' "$CPLOG"; then
    nok copy "rclone did not use a server-side copy (see $CPLOG)"
elif ! get copy/meta-copy.txt "$W/copy.out" || ! cmp -s "$W/small.txt" "$W/copy.out"; then
    nok copy "copied content differs"
elif [[ "$(rcq lsjson -M "st:$B/copy/meta-copy.txt")" != *'"color":"blue"'* ]]; then
    nok copy "copy lost user metadata"
else
    ok copy
fi

# --- delete ----------------------------------------------------------------------------------
if ! rc deletefile "st:$B/copy/meta-copy.txt"; then
    nok delete "rclone deletefile failed"
elif [ -n "$(rcq lsf -R "st:$B/copy/")" ]; then
    nok delete "object still listed after deletefile"
elif rcd "$SCRATCH/rclone-delete.log" lsjson --stat "st:$B/copy/meta-copy.txt";
     [ "$(awk -v h="HEAD /$B/copy/meta-copy.txt HTTP/1.1" 'index($0, h) { f = 1; next }
            f && match($0, / DEBUG : HTTP\/1\.1 [0-9][0-9][0-9]/) { print substr($0, RSTART + RLENGTH - 3, 3); exit }' \
            "$SCRATCH/rclone-delete.log")" != 404 ]; then
    nok delete "a HEAD of the deleted object did not answer 404 (see $SCRATCH/rclone-delete.log)"
else
    ok delete
fi

# --- multi-delete (rclone delete of a prefix holding several files) ---------------------------
for k in md/del/1.txt md/del/2.txt md/del/3.txt md/keep.txt; do
    rc copyto "$W/small.txt" "st:$B/$k" || true
done
if ! rc delete "st:$B/md/del/"; then
    nok multi-delete "rclone delete failed"
else
    left=$(rcq lsf -R "st:$B/md/" | tr '\n' ' ')
    if [ "$left" != "keep.txt " ]; then
        nok multi-delete "files left under md/: '$left', expected 'keep.txt'"
    else
        ok multi-delete
    fi
fi

# --- presign-get (rclone link makes a SigV4 presigned URL) ------------------------------------
check_presign "rclone link" "$(rcq link --expire 5m "st:$B/small.txt")" "$W/small.txt"

# --- special-key -----------------------------------------------------------------------------
SK='dir/a b+c&d=e-é.txt'
printf 'special key content\n' >"$W/special.txt"
if ! rc copyto "$W/special.txt" "st:$B/$SK"; then
    nok special-key "rclone copyto to '$SK' failed"
else
    listed=$(rcq lsf "st:$B/dir/")
    listed2=$(rcq lsf --s3-list-version 2 "st:$B/dir/")
    if [ "$listed" != "${SK#dir/}" ]; then
        nok special-key "lsf st:$B/dir/ gave '$listed', expected '${SK#dir/}'"
    elif [ "$listed2" != "${SK#dir/}" ]; then
        nok special-key "lsf --s3-list-version 2 st:$B/dir/ gave '$listed2', expected '${SK#dir/}'"
    elif ! get "$SK" "$W/special.out" || ! cmp -s "$W/special.txt" "$W/special.out"; then
        nok special-key "rclone cat of '$SK' failed or differs"
    else
        ok special-key
    fi
fi

# --- sigv2 (--s3-v2-auth: rclone signs with SigV2 and a Go-style "UTC" Date) --------------------
printf 'signed with sigv2\n' >"$W/v2.txt"
if ! rc --s3-v2-auth copyto "$W/v2.txt" "st:$B/v2/$SK"; then
    nok sigv2 "rclone --s3-v2-auth copyto failed (see $LOG)"
elif [ "$(rcq --s3-v2-auth lsf "st:$B/v2/dir/")" != "${SK#dir/}" ]; then
    nok sigv2 "rclone --s3-v2-auth lsf does not list '${SK#dir/}'"
elif ! rcq --s3-v2-auth cat "st:$B/v2/$SK" >"$W/v2.out" || ! cmp -s "$W/v2.txt" "$W/v2.out"; then
    nok sigv2 "rclone --s3-v2-auth cat failed or differs"
elif ! rc --s3-v2-auth deletefile "st:$B/v2/$SK"; then
    nok sigv2 "rclone --s3-v2-auth deletefile failed"
else
    ok sigv2
fi

# --- wrong-secret (the PUT itself: no HEAD of the destination, no bucket check) ---------------
printf 'written with a wrong secret\n' >"$W/evil.txt"
WLOG="$SCRATCH/rclone-wrong-secret.log"
if RCLONE_CONFIG_ST_SECRET_ACCESS_KEY=wrong rcd "$WLOG" --no-check-dest \
        --s3-no-check-bucket copyto "$W/evil.txt" "st:$B/small.txt"; then
    nok wrong-secret "rclone copyto with a wrong secret succeeded"
elif ! grep -q "PUT /$B/small.txt HTTP/1.1" "$WLOG" || ! grep -q 'HTTP/1.1 403 Forbidden' "$WLOG"; then
    nok wrong-secret "the PUT with a wrong secret did not answer 403 (see $WLOG)"
elif ! get small.txt "$W/after.out" || ! cmp -s "$W/small.txt" "$W/after.out"; then
    nok wrong-secret "the object changed after the refused put"
else
    ok wrong-secret
fi

[ "$failures" -eq 0 ]
