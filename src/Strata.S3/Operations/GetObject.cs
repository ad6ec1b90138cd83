using Strata.Core;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>GetObject and HeadObject: any version, single ranges, conditional headers; the body is streamed chunk by chunk.</summary>
public static class GetObject
{
    public static async Task GetObjectAsync(S3Request r, bool head)
    {
        var key = r.RequiredKey;
        var snap = await r.OpenAsync().ConfigureAwait(false);
        var version = r.Query("versionId");
        var commit = version is null ? snap.Commit : await r.Store.ResolveVersionAsync(snap, version, r.Ct).ConfigureAwait(false);
        var f = await r.Store.GetFileAsync(snap, commit, key, r.Ct).ConfigureAwait(false)
            ?? throw await MissingAsync(r, key, version, commit).ConfigureAwait(false);
        await RequireNotPurgedAsync(r, version, commit, key, f).ConfigureAwait(false);
        Conditions.Check(r, f, isRead: true);

        (long Start, long Length)? range;
        int? partNumber = null;
        if (r.Query("partNumber") is { } pn)
        {
            range = PartRange(pn, f);
            partNumber = int.Parse(pn, System.Globalization.CultureInfo.InvariantCulture);
            r.Response.Headers["x-amz-mp-parts-count"] = Math.Max(1, f.Parts.Count).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else range = head && r.Header("Range") is null ? null : RangeHeader.Parse(r.Header("Range"), f.Size);
        ObjectHeaders.Write(r, f, ranged: range is not null, partNumber);
        // Most repos have no tags at all: the marker read with the branch saves a query per GET.
        if (snap.MayHaveObjectTags) await ObjectTagging.WriteCountAsync(r, snap.Commit?.Repo ?? r.Bucket.Repo, key, f).ConfigureAwait(false);
        var (start, length) = range ?? (0, f.Size);
        if (range is not null)
        {
            r.Response.StatusCode = 206;
            r.Response.Headers.ContentRange = $"bytes {start}-{start + length - 1}/{f.Size}";
        }
        r.Response.ContentLength = length;
        if (head) return;
        await r.Response.StartAsync(r.Ct).ConfigureAwait(false);
        await ContentReader.CopyToAsync(r.Store.Chunks, f, start, length, r.Response.Body, r.Ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The byte range of part N (GET/HEAD ?partNumber=): a multipart object's parts keep their
    /// upload sizes; any other object has one part, the whole of it.
    /// </summary>
    private static (long, long)? PartRange(string text, FileEntry f)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive");
        if (f.Parts.Count == 0)
            return n == 1 ? null : throw new S3Exception(S3ErrorCode.InvalidPart, "the object was not uploaded in parts: its only part is 1");
        if (n > f.Parts.Count) throw new S3Exception(S3ErrorCode.InvalidPart, $"the object has {f.Parts.Count} parts");
        var start = f.Parts.Take(n - 1).Sum(p => p.Size);
        return (start, f.Parts[n - 1].Size);
    }

    /// <summary>
    /// Reading at a commit that did not write the key shows the key as it was then, except where that
    /// commit's own version of it was purged: that version is gone (NoSuchVersion), as in S3.
    /// </summary>
    /// <summary>
    /// The key at the version a request names (null: the snapshot's own commit), for the operations that
    /// read one without GET's delete-marker answers: NoSuchKey / NoSuchVersion, and NoSuchVersion for a purged version.
    /// </summary>
    internal static async Task<FileEntry> ReadVersionAsync(S3Request r, Snapshot snap, string key, string? version)
    {
        var commit = version is null ? snap.Commit : await r.Store.ResolveVersionAsync(snap, version, r.Ct).ConfigureAwait(false);
        var f = await r.Store.GetFileAsync(snap, commit, key, r.Ct).ConfigureAwait(false)
            ?? throw new S3Exception(version is null ? S3ErrorCode.NoSuchKey : S3ErrorCode.NoSuchVersion);
        await RequireNotPurgedAsync(r, version, commit, key, f).ConfigureAwait(false);
        return f;
    }

    private static async Task RequireNotPurgedAsync(S3Request r, string? version, CommitInfo? commit, string key, FileEntry f)
    {
        if (version is not null && commit is not null && f.CommitId != commit.Id
            && await r.Store.Meta.WasPurgedAsync(commit.Repo, key, commit.Id, r.Ct).ConfigureAwait(false))
            throw new S3Exception(S3ErrorCode.NoSuchVersion, $"version {commit.Id} of '{key}' was permanently deleted");
    }

    /// <summary>The key's newest version row in head's history (a delete marker when it was deleted last), if any.</summary>
    internal static async Task<VersionRow?> LatestVersionAsync(S3Request r, CommitInfo head, string key)
    {
        var rows = await r.Store.Meta.ListVersionsAsync(head.Repo, key, "", long.MinValue, 50, r.Ct).ConfigureAwait(false);
        foreach (var row in rows.TakeWhile(x => x.Key == key))
            if (row.Height <= head.Height && (await r.Store.Commits.AncestorAtAsync(head, row.Height, r.Ct).ConfigureAwait(false))?.Id == row.CommitId)
                return row;
        return null;
    }

    /// <summary>
    /// Why a key is absent: without versionId, NoSuchKey; at a commit that deleted it, that commit
    /// is a delete marker (405 with x-amz-delete-marker, as S3); otherwise NoSuchVersion.
    /// </summary>
    private static async Task<S3Exception> MissingAsync(S3Request r, string key, string? version, CommitInfo? commit)
    {
        if (version is null || commit is null)
        {
            var e = new S3Exception(version is null ? S3ErrorCode.NoSuchKey : S3ErrorCode.NoSuchVersion);
            // A key whose latest version is a delete marker says so, as in a versioned S3 bucket.
            if (commit is not null && await LatestVersionAsync(r, commit, key).ConfigureAwait(false) is { IsDelete: true } dm)
            {
                e.Headers["x-amz-delete-marker"] = "true";
                e.Headers["x-amz-version-id"] = dm.CommitId;
            }
            return e;
        }
        if (await r.Store.Meta.GetVersionAsync(commit.Repo, key, commit.Id, r.Ct).ConfigureAwait(false) is { IsDelete: true })
        {
            var e = new S3Exception(S3ErrorCode.MethodNotAllowed, "The specified method is not allowed against a delete marker.");
            e.Headers["x-amz-delete-marker"] = "true";
            e.Headers["x-amz-version-id"] = commit.Id;
            return e;
        }
        return new S3Exception(S3ErrorCode.NoSuchVersion, $"key '{key}' does not exist at version {version}");
    }
}
