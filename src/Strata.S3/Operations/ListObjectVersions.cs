using System.Xml;
using Strata.Core;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// ListObjectVersions: a key's versions are the commits in the bucket's history that changed it,
/// newest first; a commit that removed it is a DeleteMarker. Read from the version index kept at
/// commit time, so a page costs the page (plus rows of other branches' commits skipped), never
/// the whole history.
/// </summary>
public static class ListObjectVersions
{
    private sealed record Item(VersionRow? Row, string? Prefix, bool IsLatest);

    public static async Task ListObjectVersionsAsync(S3Request r)
    {
        var snap = await r.OpenAsync().ConfigureAwait(false);
        var prefix = r.Query("prefix") ?? "";
        var delimiter = r.Query("delimiter") ?? "";
        var keyMarker = r.Query("key-marker") ?? "";
        var versionMarker = r.Query("version-id-marker") ?? "";
        var enc = r.Query("encoding-type");
        if (enc is not null && enc != "url") throw new S3Exception(S3ErrorCode.InvalidArgument, "Invalid Encoding Method specified in Request");
        var encode = enc == "url";
        var maxKeys = ListObjects.MaxKeysCap;
        if (r.Query("max-keys") is { } mk && (!int.TryParse(mk, out maxKeys) || maxKeys < 0))
            throw new S3Exception(S3ErrorCode.InvalidArgument, "max-keys must be a non-negative integer");
        maxKeys = Math.Min(maxKeys, ListObjects.MaxKeysCap);
        if (versionMarker.Length > 0 && keyMarker.Length == 0)
            throw new S3Exception(S3ErrorCode.InvalidArgument, "A version-id marker cannot be specified without a key marker.");

        long heightMarker = long.MinValue;
        if (versionMarker.Length > 0)
        {
            var c = await r.Store.Commits.GetAsync(versionMarker, r.Ct).ConfigureAwait(false)
                ?? throw new S3Exception(S3ErrorCode.InvalidArgument, "Invalid version id specified");
            heightMarker = c.Height;
        }

        var items = new List<Item>();
        var truncated = false;
        var head = snap.Commit;
        var onBranch = new BranchFilter(r, head, snap.Floor);
        string? lastKey = versionMarker.Length > 0 ? keyMarker : null; // a key resumed mid-way has its latest version on an earlier page
        var (curKey, curHeight) = (keyMarker, heightMarker);
        var atLeast = 100;
        while (head is not null && !truncated)
        {
            // Only one row past a full page is needed to know the page is truncated: ask for what is
            // missing plus one (at least a small batch, as rows of other branches may be skipped).
            var limit = Math.Max(Math.Clamp(maxKeys - items.Count + 1, 100, 1001), atLeast);
            var batch = await r.Store.Meta.ListVersionsAsync(snap.Bucket.Repo, prefix, curKey, curHeight, limit, r.Ct).ConfigureAwait(false);
            var skipTo = (string?)null;
            var mineAtCur = false; // whether this branch's row at (curKey, curHeight) has been seen
            foreach (var row in batch)
            {
                if (row.Key != curKey || row.Height != curHeight) mineAtCur = false;
                (curKey, curHeight) = (row.Key, row.Height);
                if (!await onBranch.ContainsAsync(row).ConfigureAwait(false)) continue;
                mineAtCur = true;
                var cut = delimiter.Length == 0 ? -1 : row.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (cut >= 0)
                {
                    var cp = row.Key[..(cut + delimiter.Length)];
                    if (string.CompareOrdinal(cp, keyMarker) > 0 || !keyMarker.StartsWith(cp, StringComparison.Ordinal))
                    {
                        if (items.Count == maxKeys) { truncated = true; break; }
                        items.Add(new Item(null, cp, false));
                    }
                    // Everything under the prefix rolls up into it: continue after it.
                    skipTo = cp + "\U0010FFFF";
                    break;
                }
                if (items.Count == maxKeys) { truncated = true; break; }
                items.Add(new Item(row, null, row.Key != lastKey));
                lastKey = row.Key;
            }
            if (skipTo is not null) (curKey, curHeight) = (skipTo, long.MinValue);
            else if (batch.Count < limit) break;
            else if (!mineAtCur)
            {
                // Other branches' rows share a key and height with this branch's (commits at the same
                // height on different branches) and sort among them in no set order: the next batch,
                // which starts below the last row's height, would miss this branch's row if it sorts
                // after the batch's end. Read that height again; its rows seen so far were all refused,
                // so none comes twice. A batch all of that one height reads more at once next time.
                if (batch[0].Key == curKey && batch[0].Height == curHeight) atLeast = limit * 2;
                curHeight++;
            }
        }

        string E(string s) => encode ? ListObjects.UrlEncode(s) : s;
        await XmlOut.WriteAsync(r.Response, "ListVersionsResult", w =>
        {
            w.El("Name", r.BucketName);
            w.El("Prefix", E(prefix));
            w.El("KeyMarker", E(keyMarker));
            w.El("VersionIdMarker", versionMarker);
            w.El("MaxKeys", maxKeys);
            if (delimiter.Length > 0) w.El("Delimiter", E(delimiter));
            if (encode) w.El("EncodingType", "url");
            w.El("IsTruncated", truncated);
            if (truncated && items.Count > 0)
            {
                var last = items[^1];
                w.El("NextKeyMarker", E(last.Row?.Key ?? last.Prefix!));
                w.El("NextVersionIdMarker", last.Row?.CommitId ?? "");
            }
            foreach (var it in items.Where(i => i.Row is not null)) WriteVersion(w, r, it.Row!, it.IsLatest, E);
            foreach (var it in items.Where(i => i.Prefix is not null))
            {
                w.WriteStartElement("CommonPrefixes");
                w.El("Prefix", E(it.Prefix!));
                w.WriteEndElement();
            }
        }, r.Ct).ConfigureAwait(false);
    }

    private static void WriteVersion(XmlWriter w, S3Request r, VersionRow v, bool latest, Func<string, string> e)
    {
        w.WriteStartElement(v.IsDelete ? "DeleteMarker" : "Version");
        w.El("Key", e(v.Key));
        w.El("VersionId", v.CommitId);
        w.El("IsLatest", latest);
        w.El("LastModified", DateTimeOffset.FromUnixTimeMilliseconds(v.ModifiedUnixMs));
        if (!v.IsDelete)
        {
            w.El("ETag", v.ETag);
            w.El("Size", v.Size);
            w.El("StorageClass", "STANDARD");
        }
        w.Owner(r.Options);
        w.WriteEndElement();
    }

    /// <summary>
    /// Whether a version row is one of this branch's versions: its commit is in the history (other
    /// branches share the index). Each ancestor is found by walking down from the nearest ancestor an
    /// earlier row's walk passed (<see cref="CommitGraph.Ancestors"/>), a few steps, rather than from
    /// the head. Below the branch's history floor only the versions the floor commit still holds remain.
    /// </summary>
    private sealed class BranchFilter(S3Request r, CommitInfo? head, long floor)
    {
        private readonly CommitGraph.Ancestors? _ancestors = head is null ? null : new(r.Store.Commits, head);
        private CommitInfo? _floorCommit;

        public async Task<bool> ContainsAsync(VersionRow row)
        {
            if (head is null || row.Height > head.Height) return false;
            var found = await _ancestors!.AtAsync(row.Height, r.Ct).ConfigureAwait(false);
            if (found?.Id != row.CommitId) return false;
            if (row.Height >= floor) return true;
            if (row.IsDelete) return false;
            _floorCommit ??= await r.Store.Commits.AncestorAtAsync(head, floor, r.Ct).ConfigureAwait(false);
            return (await r.Store.GetFileAsync(_floorCommit, row.Key, r.Ct).ConfigureAwait(false))?.CommitId == row.CommitId;
        }
    }
}
