#!/usr/bin/env bash
# Real-client scenario: Debian's AWS CLI v2 (/usr/bin/aws) against Strata.
# See clients/CONTRACT.md for the environment, the output format and the step names.
set -u

. "$(dirname "$0")/../lib/common.sh"
if [ ! -x "$AWS_BIN" ]; then
    echo "skip: $AWS_BIN (Debian's awscli) not installed"
    exit 77
fi
for v in STRATA_ENDPOINT STRATA_TOKEN STRATA_BUCKET SCRATCH; do
    if [ -z "${!v:-}" ]; then echo "missing environment variable $v" >&2; exit 2; fi
done

B="$STRATA_BUCKET"
LOG="$SCRATCH/awscli.log"
W="$SCRATCH/work"
mkdir -p "$W" "$SCRATCH/home/.aws"
: >"$LOG"

# Client configuration lives in $SCRATCH only.
export HOME="$SCRATCH/home"
use_aws_cli

# get KEY FILE: download one object (single GET).
get() { aws_ s3api get-object --bucket "$B" --key "$1" "$2"; }

# Test files.
printf 'hello strata from the aws cli\n0123456789abcdefghijklmnopqrstuvwxyz\n' >"$W/small.txt"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$W/big.bin"

# --- create-bucket ---------------------------------------------------------------------------
if aws_ s3 mb "s3://$B" && aws_ s3api head-bucket --bucket "$B"; then
    ok create-bucket
else
    nok create-bucket "aws s3 mb s3://$B failed (see $LOG)"
fi

# --- put-small -------------------------------------------------------------------------------
rm -f "$W/small.out"
if ! aws_ s3 cp "$W/small.txt" "s3://$B/small.txt"; then
    nok put-small "aws s3 cp failed"
elif ! get small.txt "$W/small.out" || ! cmp -s "$W/small.txt" "$W/small.out"; then
    nok put-small "content read back differs"
else
    ok put-small
fi

# --- put-multipart (20 MiB > the CLI's 8 MiB multipart threshold) ------------------------------
rm -f "$W/big.out"
if ! aws_ s3 cp "$W/big.bin" "s3://$B/big/big.bin"; then
    nok put-multipart "aws s3 cp of 20 MiB failed"
else
    read -r etag size < <(awsq s3api head-object --bucket "$B" --key big/big.bin \
        --query '[ETag, ContentLength]' --output text)
    if [[ "$etag" != *-* ]]; then
        nok put-multipart "ETag '$etag' is not a multipart ETag (no -N suffix)"
    elif [ "$size" != $((20 * 1024 * 1024)) ]; then
        nok put-multipart "ContentLength '$size' != 20971520"
    elif ! aws_ s3 cp "s3://$B/big/big.bin" "$W/big.out" || ! cmp -s "$W/big.bin" "$W/big.out"; then
        nok put-multipart "content read back differs"
    else
        ok put-multipart
    fi
fi

# --- head-metadata ---------------------------------------------------------------------------
if ! aws_ s3api put-object --bucket "$B" --key meta.txt --body "$W/small.txt" \
        --metadata color=blue,shape=round --content-type 'text/x-strata; charset=utf-8'; then
    nok head-metadata "put-object with metadata failed"
else
    got=$(awsq s3api head-object --bucket "$B" --key meta.txt \
        --query '[ContentType, Metadata.color, Metadata.shape, ContentLength]' --output text)
    want=$(printf 'text/x-strata; charset=utf-8\tblue\tround\t%s' "$(wc -c <"$W/small.txt" | tr -d ' ')")
    if [ "$got" = "$want" ]; then
        ok head-metadata
    else
        nok head-metadata "head-object gave '$got', expected '$want'"
    fi
fi

# --- list-v1 / list-v2 (prefix + delimiter, one key per page to exercise markers/tokens) -------
for k in list/a.txt list/b.txt list/sub/c.txt list/sub/d.txt list/z.txt; do
    aws_ s3api put-object --bucket "$B" --key "$k" --body "$W/small.txt" || true
done
want_keys=$(printf 'list/a.txt\tlist/b.txt\tlist/z.txt')
want_prefixes='list/sub/'
for api in list-objects list-objects-v2; do
    step=list-v1; [ "$api" = list-objects-v2 ] && step=list-v2
    keys=$(awsq s3api "$api" --bucket "$B" --prefix list/ --delimiter / --query 'Contents[].Key' --output text) \
        || { nok "$step" "$api failed"; continue; }
    prefixes=$(awsq s3api "$api" --bucket "$B" --prefix list/ --delimiter / --query 'CommonPrefixes[].Prefix' --output text)
    paged=$(awsq s3api "$api" --bucket "$B" --prefix list/ --delimiter / --page-size 1 \
        --query '[Contents[].Key, CommonPrefixes[].Prefix][]' --output text | tr '\t' '\n' | sort | tr '\n' ' ')
    want_paged="list/a.txt list/b.txt list/sub/ list/z.txt "
    if [ "$keys" != "$want_keys" ]; then
        nok "$step" "keys '$keys', expected '$want_keys'"
    elif [ "$prefixes" != "$want_prefixes" ]; then
        nok "$step" "common prefixes '$prefixes', expected '$want_prefixes'"
    elif [ "$paged" != "$want_paged" ]; then
        nok "$step" "paged by 1 gave '$paged', expected '$want_paged'"
    else
        ok "$step"
    fi
done

# --- get-range -------------------------------------------------------------------------------
rm -f "$W/range.out"
cr=$(awsq s3api get-object --bucket "$B" --key small.txt --range bytes=6-11 "$W/range.out" \
    --query ContentRange --output text)
total=$(wc -c <"$W/small.txt" | tr -d ' ')
if [ ! -f "$W/range.out" ]; then
    nok get-range "get-object --range failed"
elif [ "$(cat "$W/range.out")" != "strata" ]; then
    nok get-range "range body '$(cat "$W/range.out")', expected 'strata'"
elif [ "$cr" != "bytes 6-11/$total" ]; then
    nok get-range "Content-Range '$cr', expected 'bytes 6-11/$total'"
else
    ok get-range
fi

# --- copy (server-side, s3 -> s3) -------------------------------------------------------------
rm -f "$W/copy.out"
if ! aws_ s3 cp "s3://$B/meta.txt" "s3://$B/copy/meta-copy.txt"; then
    nok copy "aws s3 cp s3->s3 failed"
elif ! get copy/meta-copy.txt "$W/copy.out" || ! cmp -s "$W/small.txt" "$W/copy.out"; then
    nok copy "copied content differs"
else
    ct=$(awsq s3api head-object --bucket "$B" --key copy/meta-copy.txt --query 'Metadata.color' --output text)
    if [ "$ct" != blue ]; then
        nok copy "copy lost user metadata (color='$ct')"
    else
        ok copy
    fi
fi

# --- delete ----------------------------------------------------------------------------------
if ! aws_ s3 rm "s3://$B/copy/meta-copy.txt"; then
    nok delete "aws s3 rm failed"
elif head_out=$("$AWS_BIN" --endpoint-url "$STRATA_ENDPOINT" s3api head-object --bucket "$B" \
        --key copy/meta-copy.txt 2>&1); then
    nok delete "object still there after aws s3 rm"
elif [[ "$head_out" != *'(404)'* ]]; then
    nok delete "head-object after delete did not answer 404: $head_out"
else
    ok delete
fi

# --- multi-delete ----------------------------------------------------------------------------
for k in md/1.txt md/2.txt md/3.txt md/keep.txt; do
    aws_ s3api put-object --bucket "$B" --key "$k" --body "$W/small.txt" || true
done
deleted=$(awsq s3api delete-objects --bucket "$B" \
    --delete 'Objects=[{Key=md/1.txt},{Key=md/2.txt},{Key=md/3.txt}],Quiet=false' \
    --query 'length(Deleted)' --output text)
left=$(awsq s3api list-objects-v2 --bucket "$B" --prefix md/ --query 'Contents[].Key' --output text)
if [ "$deleted" != 3 ]; then
    nok multi-delete "delete-objects reported '$deleted' deleted keys, expected 3"
elif [ "$left" != md/keep.txt ]; then
    nok multi-delete "keys left under md/: '$left', expected 'md/keep.txt'"
else
    ok multi-delete
fi

# --- presign-get -----------------------------------------------------------------------------
check_presign "aws s3 presign" "$(awsq s3 presign "s3://$B/small.txt" --expires-in 300)" "$W/small.txt"

# --- special-key -----------------------------------------------------------------------------
SK='dir/a b+c&d=e-é.txt'
printf 'special key content\n' >"$W/special.txt"
rm -f "$W/special.out"
if ! aws_ s3 cp "$W/special.txt" "s3://$B/$SK"; then
    nok special-key "aws s3 cp to '$SK' failed"
else
    listed=$(awsq s3api list-objects-v2 --bucket "$B" --prefix dir/ --query 'Contents[].Key' --output text)
    listed1=$(awsq s3api list-objects --bucket "$B" --prefix dir/ --query 'Contents[].Key' --output text)
    if [ "$listed" != "$SK" ]; then
        nok special-key "list-objects-v2 gave '$listed', expected '$SK'"
    elif [ "$listed1" != "$SK" ]; then
        nok special-key "list-objects gave '$listed1', expected '$SK'"
    elif ! get "$SK" "$W/special.out" || ! cmp -s "$W/special.txt" "$W/special.out"; then
        nok special-key "get-object of '$SK' failed or differs"
    else
        ok special-key
    fi
fi

# --- old-version -----------------------------------------------------------------------------
printf 'first version\n' >"$W/v1.txt"
printf 'second version\n' >"$W/v2.txt"
rm -f "$W/old.out" "$W/cur.out"
if ! aws_ s3api put-object --bucket "$B" --key old/v.txt --body "$W/v1.txt" \
   || ! aws_ s3api put-object --bucket "$B" --key old/v.txt --body "$W/v2.txt"; then
    nok old-version "put-object failed"
elif ! aws_ s3api get-object --bucket "$B" --key old/v.txt --version-id 'master^' "$W/old.out"; then
    nok old-version "get-object --version-id master^ failed"
elif ! cmp -s "$W/v1.txt" "$W/old.out"; then
    nok old-version "master^ gave '$(cat "$W/old.out")', expected 'first version'"
elif ! get old/v.txt "$W/cur.out" || ! cmp -s "$W/v2.txt" "$W/cur.out"; then
    nok old-version "current version is not 'second version'"
else
    ok old-version
fi

# --- tagging (x-amz-tagging on upload, GetObjectTagging, tags kept by an s3 -> s3 copy) ---------
# `aws s3 cp` has no --tagging option (CLI 2.9 nor later): the upload is s3api put-object --tagging;
# the high-level copy keeps tags by default (--copy-props default).
want_tags=$(printf 'a\t1\nb\t2 3')
tags_of() { awsq s3api get-object-tagging --bucket "$B" --key "$1" --query 'sort_by(TagSet, &Key)[].[Key, Value]' --output text; }
if ! aws_ s3api put-object --bucket "$B" --key tagged/t.txt --body "$W/small.txt" --tagging 'a=1&b=2%203'; then
    nok tagging "put-object --tagging failed"
elif [ "$(tags_of tagged/t.txt)" != "$want_tags" ]; then
    nok tagging "get-object-tagging gave '$(tags_of tagged/t.txt | tr '\t\n' '= ')', expected 'a=1 b=2 3'"
elif [ "$(awsq s3api get-object --bucket "$B" --key tagged/t.txt "$W/tagged.out" --query TagCount --output text)" != 2 ]; then
    nok tagging "get-object does not count 2 tags"
elif ! aws_ s3 cp "s3://$B/tagged/t.txt" "s3://$B/tagged/copy.txt"; then
    nok tagging "aws s3 cp s3->s3 of a tagged object failed"
elif [ "$(tags_of tagged/copy.txt)" != "$want_tags" ]; then
    nok tagging "the copy has tags '$(tags_of tagged/copy.txt | tr '\t\n' '= ')', expected 'a=1 b=2 3'"
elif ! aws_ s3api put-object-tagging --bucket "$B" --key tagged/t.txt --tagging 'TagSet=[{Key=c,Value=4}]' \
        || [ "$(tags_of tagged/t.txt)" != "$(printf 'c\t4')" ]; then
    nok tagging "put-object-tagging did not replace the tags"
elif [ "$(awsq s3api list-object-versions --bucket "$B" --prefix tagged/t.txt --query 'length(Versions)' --output text)" != 1 ]; then
    nok tagging "changing tags made a new version"
else
    ok tagging
fi

# --- public-read (a public dataset: anyone lists and reads it without credentials, writes need a token) ---
P="master.${B#*.}-pub"
printf 'open data\n' >"$W/open.txt"
rm -f "$W/open.out"
if ! aws_ s3api create-bucket --bucket "$P" --acl public-read || ! aws_ s3 cp "$W/open.txt" "s3://$P/open.txt"; then
    nok public-read "create-bucket --acl public-read or the upload into it failed"
elif ! awsq --no-sign-request s3 ls | grep -q " $P\$"; then
    nok public-read "an unsigned 'aws s3 ls' does not list the public bucket $P"
elif awsq --no-sign-request s3 ls | grep -q " $B\$"; then
    nok public-read "an unsigned 'aws s3 ls' lists the private bucket $B"
elif ! aws_ --no-sign-request s3 cp "s3://$P/open.txt" "$W/open.out" || ! cmp -s "$W/open.txt" "$W/open.out"; then
    nok public-read "an unsigned download from the public bucket failed or differs"
elif aws_ --no-sign-request s3 cp "$W/open.txt" "s3://$P/evil.txt"; then
    nok public-read "an unsigned upload into the public bucket succeeded"
elif aws_ --no-sign-request s3 cp "s3://$B/small.txt" "$W/open.out"; then
    nok public-read "an unsigned download from the private bucket $B succeeded"
else
    ok public-read
fi

# --- wrong-secret ----------------------------------------------------------------------------
printf 'written with a wrong secret\n' >"$W/evil.txt"
WLOG="$SCRATCH/awscli-wrong-secret.log"
rm -f "$W/after.out"
if AWS_SECRET_ACCESS_KEY=wrong "$AWS_BIN" --endpoint-url "$STRATA_ENDPOINT" --debug \
        s3api put-object --bucket "$B" --key small.txt --body "$W/evil.txt" >"$WLOG" 2>&1; then
    nok wrong-secret "put-object with a wrong secret succeeded"
elif ! grep -qE 'HTTP/1\.1" 403' "$WLOG"; then
    nok wrong-secret "put-object with a wrong secret failed, but not with 403 (see $WLOG)"
elif ! get small.txt "$W/after.out" || ! cmp -s "$W/small.txt" "$W/after.out"; then
    nok wrong-secret "the object changed after the refused put"
else
    ok wrong-secret
fi

[ "$failures" -eq 0 ]
