#!/usr/bin/env bash
# Real-client scenario: s3fs-fuse (Debian package s3fs) mounting a Strata bucket.
# See clients/CONTRACT.md for the environment, the output format and the step names.
# s3fs cannot create buckets, so Debian's AWS CLI v2 (/usr/bin/aws, not an `aws` on PATH) makes the
# bucket and checks afterwards that what s3fs wrote is there as plain S3 objects.
set -u

. "$(dirname "$0")/../lib/common.sh"
if ! command -v s3fs >/dev/null 2>&1; then
    echo "skip: s3fs not installed (apt-get install -y s3fs fuse3)"
    exit 77
fi
if [ ! -x "$AWS_BIN" ]; then
    echo "skip: $AWS_BIN (Debian's awscli) not installed; it is needed to create the bucket"
    exit 77
fi
if [ ! -e /dev/fuse ]; then
    echo "skip: /dev/fuse does not exist (no FUSE in this environment)"
    exit 77
fi
for v in STRATA_ENDPOINT STRATA_TOKEN STRATA_BUCKET SCRATCH; do
    if [ -z "${!v:-}" ]; then echo "missing environment variable $v" >&2; exit 2; fi
done

B="$STRATA_BUCKET"
LOG="$SCRATCH/s3fs-scenario.log"     # AWS CLI output and the commands run
S3FS_LOG="$SCRATCH/s3fs.log"         # s3fs's own messages (it runs in the foreground, -f)
MNT="$SCRATCH/mnt"
W="$SCRATCH/work"
mkdir -p "$W" "$MNT" "$SCRATCH/home/.aws"
: >"$LOG"

# Client configuration lives in $SCRATCH only.
export HOME="$SCRATCH/home"
use_aws_cli

PASSWD="$SCRATCH/passwd-s3fs"
( umask 077; printf '%s:%s\n' "$STRATA_TOKEN" "$STRATA_TOKEN" >"$PASSWD" )
chmod 600 "$PASSWD"



S3FS_PID=""
mounted() { mountpoint -q "$MNT" 2>/dev/null || grep -qs " $MNT fuse" /proc/mounts; }
unmount() {
    if mounted; then
        fusermount3 -u "$MNT" 2>>"$LOG" || fusermount -u "$MNT" 2>>"$LOG" || umount "$MNT" 2>>"$LOG" \
            || umount -l "$MNT" 2>>"$LOG"
    fi
    if [ -n "$S3FS_PID" ]; then
        for _ in $(seq 50); do kill -0 "$S3FS_PID" 2>/dev/null || break; sleep 0.1; done
        kill "$S3FS_PID" 2>/dev/null
        wait "$S3FS_PID" 2>/dev/null
        S3FS_PID=""
    fi
}
trap unmount EXIT
trap 'exit 130' INT TERM

# --- create-bucket (through the AWS CLI: s3fs cannot) ---------------------------------------------
# Its "ok" line waits until the mount is known to work: a skipped scenario prints only "skip: ...".
if ! aws_ s3 mb "s3://$B" || ! aws_ s3api head-bucket --bucket "$B"; then
    nok create-bucket "aws s3 mb s3://$B failed (see $LOG)"
    exit 1
fi

# --- mount ---------------------------------------------------------------------------------------
# Foreground (-f) in the background of this shell, so its messages land in $S3FS_LOG and its pid is ours.
# multipart_threshold 6 MB, multipart_size 5 MB: the 12 MiB file below goes up as a 3-part upload.
# (s3fs 1.90 rejects multipart_threshold=5 with "must be at least 5242880, was: 5242880".)
S3FS_OPTS=(-o "passwd_file=$PASSWD,url=$STRATA_ENDPOINT,use_path_request_style,endpoint=us-east-1,sigv4"
           -o dbglevel=warn -o retries=1 -o multipart_threshold=6 -o multipart_size=5 -o stat_cache_expire=1)
echo "+ s3fs $B $MNT -f ${S3FS_OPTS[*]}" >>"$LOG"
s3fs "$B" "$MNT" -f "${S3FS_OPTS[@]}" >"$S3FS_LOG" 2>&1 &
S3FS_PID=$!
for _ in $(seq 100); do
    mounted && break
    kill -0 "$S3FS_PID" 2>/dev/null || break
    sleep 0.1
done
if ! mounted; then
    kill "$S3FS_PID" 2>/dev/null; wait "$S3FS_PID" 2>/dev/null; S3FS_PID=""
    # libfuse / fusermount complain in their own words ("fuse: device not found", "fuse: mount failed:
    # ...", "fusermount: ... Operation not permitted"); s3fs's own log lines (timestamp [LEVEL]) are
    # about S3, e.g. "invalid credentials", and make a "not ok mount".
    why=$(grep -E '^(fuse|fusermount3?):|/dev/fuse' "$S3FS_LOG" | head -n1)
    if [ -n "$why" ]; then
        echo "skip: FUSE is not usable here: $why"
        exit 77
    fi
    ok create-bucket
    nok mount "s3fs did not mount: $(tail -n 3 "$S3FS_LOG" | tr '\n' ' ')"
    exit 1
fi
ok create-bucket
if ls "$MNT" >/dev/null 2>>"$LOG"; then
    ok mount
else
    nok mount "mounted, but ls of the mount point failed"
    exit 1
fi

# Test files.
printf 'hello strata from s3fs\n' >"$W/small.txt"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$W/big.bin"
printf 'special key content\n' >"$W/special.txt"

# --- write ---------------------------------------------------------------------------------------
if ! echo 'hello strata from s3fs' >"$MNT/small.txt" 2>>"$LOG"; then
    nok write "echo > $MNT/small.txt failed"
elif ! cp "$W/big.bin" "$MNT/big.bin" 2>>"$LOG"; then
    nok write "cp of a 12 MiB file into the mount failed"
elif ! sync -f "$MNT" 2>>"$LOG"; then
    nok write "sync of the mount failed"
else
    ok write
fi

# --- list ----------------------------------------------------------------------------------------
listing=$(ls -1 "$MNT" 2>>"$LOG" | tr '\n' ' ')
big_size=$(stat -c %s "$MNT/big.bin" 2>>"$LOG")
if [ "$listing" != "big.bin small.txt " ]; then
    nok list "ls of the mount gave '$listing', expected 'big.bin small.txt '"
elif [ "$big_size" != $((12 * 1024 * 1024)) ]; then
    nok list "big.bin is listed with size '$big_size', expected 12582912"
else
    ok list
fi

# --- read (after dropping s3fs's caches: remount, so the data comes back from the server) ---------
read_ok=1
if ! cmp -s "$W/small.txt" "$MNT/small.txt" || ! cmp -s "$W/big.bin" "$MNT/big.bin"; then
    nok read "reading back through the same mount gave other content"
    read_ok=0
fi

# --- visible-via-s3 ------------------------------------------------------------------------------
rm -f "$W/small.s3" "$W/big.s3"
read -r big_etag big_len < <(awsq s3api head-object --bucket "$B" --key big.bin \
    --query '[ETag, ContentLength]' --output text)
echo "big.bin via S3: ETag=$big_etag ContentLength=$big_len" >>"$LOG"
if ! aws_ s3api get-object --bucket "$B" --key small.txt "$W/small.s3" || ! cmp -s "$W/small.txt" "$W/small.s3"; then
    nok visible-via-s3 "small.txt written by s3fs is not the same S3 object (see $LOG)"
elif [ "${big_len:-}" != $((12 * 1024 * 1024)) ]; then
    nok visible-via-s3 "head-object big.bin gave ContentLength '${big_len:-}', expected 12582912"
elif [[ "${big_etag:-}" != *-* ]]; then
    nok visible-via-s3 "big.bin has ETag '${big_etag:-}': s3fs did not store it by multipart upload"
elif ! aws_ s3api get-object --bucket "$B" --key big.bin "$W/big.s3" || ! cmp -s "$W/big.bin" "$W/big.s3"; then
    nok visible-via-s3 "big.bin written by s3fs differs when read as an S3 object"
else
    ok visible-via-s3
fi

# Remount, then read again: nothing comes from s3fs's local cache this time.
unmount
s3fs "$B" "$MNT" -f "${S3FS_OPTS[@]}" >>"$S3FS_LOG" 2>&1 &
S3FS_PID=$!
for _ in $(seq 100); do mounted && break; kill -0 "$S3FS_PID" 2>/dev/null || break; sleep 0.1; done
if [ "$read_ok" = 1 ]; then
    if ! mounted; then
        nok read "remount failed: $(tail -n 3 "$S3FS_LOG" | tr '\n' ' ')"
    elif [ "$(cat "$MNT/small.txt" 2>>"$LOG")" != 'hello strata from s3fs' ]; then
        nok read "cat small.txt after a remount gave '$(cat "$MNT/small.txt" 2>&1)'"
    elif ! cmp -s "$W/big.bin" "$MNT/big.bin"; then
        nok read "big.bin after a remount differs from what was written"
    else
        ok read
    fi
fi
if ! mounted; then
    echo "s3fs is not mounted any more; stopping" >&2
    exit 1
fi

# --- special-key ---------------------------------------------------------------------------------
SK_DIR='dir'
SK_NAME='a b+c&d=e-é.txt'
SK="$SK_DIR/$SK_NAME"
rm -f "$W/special.s3"
if ! mkdir -p "$MNT/$SK_DIR" 2>>"$LOG" || ! cp "$W/special.txt" "$MNT/$SK" 2>>"$LOG"; then
    nok special-key "writing '$SK' through the mount failed"
elif [ "$(ls -1 "$MNT/$SK_DIR" 2>>"$LOG")" != "$SK_NAME" ]; then
    nok special-key "ls of $SK_DIR gave '$(ls -1 "$MNT/$SK_DIR" 2>&1)', expected '$SK_NAME'"
elif ! cmp -s "$W/special.txt" "$MNT/$SK"; then
    nok special-key "reading '$SK' back through the mount differs"
elif ! aws_ s3api get-object --bucket "$B" --key "$SK" "$W/special.s3" || ! cmp -s "$W/special.txt" "$W/special.s3"; then
    nok special-key "'$SK' is not the S3 object of that key (see $LOG)"
else
    ok special-key
fi

# --- mkdir ---------------------------------------------------------------------------------------
if ! mkdir "$MNT/sub" 2>>"$LOG"; then
    nok mkdir "mkdir sub failed"
elif ! mkdir "$MNT/sub/deeper" 2>>"$LOG" || ! echo inner >"$MNT/sub/deeper/inner.txt" 2>>"$LOG"; then
    nok mkdir "mkdir sub/deeper or writing sub/deeper/inner.txt failed"
elif [ "$(ls -1 "$MNT/sub" 2>>"$LOG")" != deeper ] || [ ! -d "$MNT/sub/deeper" ]; then
    nok mkdir "ls sub gave '$(ls -1 "$MNT/sub" 2>&1)', expected the directory 'deeper'"
elif [ "$(ls -1 "$MNT/sub/deeper" 2>>"$LOG")" != inner.txt ] || [ "$(cat "$MNT/sub/deeper/inner.txt")" != inner ]; then
    nok mkdir "sub/deeper does not list inner.txt with its content"
elif [ "$(ls -1 "$MNT" 2>>"$LOG" | tr '\n' ' ')" != "big.bin dir small.txt sub " ]; then
    nok mkdir "ls of the mount root gave '$(ls -1 "$MNT" | tr '\n' ' ')'"
elif ! aws_ s3api head-object --bucket "$B" --key sub/deeper/inner.txt; then
    nok mkdir "sub/deeper/inner.txt is not an S3 object"
else
    ok mkdir
fi

# --- delete --------------------------------------------------------------------------------------
if ! rm "$MNT/small.txt" "$MNT/sub/deeper/inner.txt" 2>>"$LOG" || ! rmdir "$MNT/sub/deeper" 2>>"$LOG"; then
    nok delete "rm / rmdir through the mount failed"
elif [ -e "$MNT/small.txt" ] || [ -e "$MNT/sub/deeper" ]; then
    nok delete "removed entries are still visible in the mount"
elif head_out=$("$AWS_BIN" --endpoint-url "$STRATA_ENDPOINT" s3api head-object --bucket "$B" \
        --key small.txt 2>&1); then
    nok delete "small.txt is still an S3 object after rm"
elif [[ "$head_out" != *'(404)'* ]]; then
    nok delete "head-object small.txt after rm did not answer 404: $head_out"
else
    left=$(awsq s3api list-objects-v2 --bucket "$B" --query 'Contents[].Key' --output text | tr '\t' ' ')
    case " $left " in
        *" sub/deeper/inner.txt "*|*" sub/deeper/ "*) nok delete "S3 keys left after rm: '$left'" ;;
        *) ok delete ;;
    esac
fi

# --- unmount -------------------------------------------------------------------------------------
unmount
if mounted; then
    nok unmount "the mount point is still mounted after fusermount -u"
else
    ok unmount
fi

[ "$failures" -eq 0 ]
