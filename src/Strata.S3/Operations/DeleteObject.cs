using System.Globalization;
using Strata.Core;
using Strata.Core.Tree;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// DeleteObject and DeleteObjects: each request removes its keys in one commit; a versionId makes the
/// delete permanent (a purge of that version, see Purger).
/// </summary>
public static class DeleteObject
{
    public const int MaxKeys = 1000;

    /// <summary>The conditions of a delete (If-Match, x-amz-if-match-last-modified-time, x-amz-if-match-size).</summary>
    private readonly record struct Preconditions(string? IfMatch, DateTimeOffset? Time, long? Size)
    {
        public bool Allow(FileEntry f) => Conditions.DeleteAllowed(f, IfMatch, Time, Size);

        public bool Allow(VersionRow v) => v.IsDelete
            ? AllowMarker
            : Conditions.DeleteAllowed(new FileEntry { Size = v.Size, ETag = v.ETag, ModifiedUnixMs = v.ModifiedUnixMs, ContentHash = default, CommitId = v.CommitId, Chunks = [] }, IfMatch, Time, Size);

        /// <summary>A delete marker has no ETag, time or size to match: only If-Match: * holds (it exists).</summary>
        public bool None => IfMatch is null && Time is null && Size is null;

        public bool AllowMarker => (IfMatch is null || IfMatch.Trim() == "*") && Time is null && Size is null;
    }

    /// <summary>
    /// A permanent delete of one version (a purge: see Purger). It rewrites history, so it takes the
    /// owner role, not just writer (S3 too keeps s3:DeleteObjectVersion apart from s3:DeleteObject).
    /// A well-formed id that is not a version of the key deletes nothing and succeeds, as in S3.
    /// </summary>
    private static async Task<PurgeResult?> PurgeAsync(S3Request r, BucketRef bucket, string key, string versionId, Preconditions pre)
    {
        await Auth.Authorizer.RequireAsync(r, bucket.Repo, Strata.Core.Auth.RepoRole.Owner).ConfigureAwait(false);
        if (!CommitId.IsValid(versionId))
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Invalid version id specified");
        if (await r.Store.Meta.GetVersionAsync(bucket.Repo, key, versionId, r.Ct).ConfigureAwait(false) is { } row && !pre.Allow(row))
            throw new S3Exception(S3ErrorCode.PreconditionFailed);
        try
        {
            return await r.Store.Purges.PurgeAsync(bucket.Repo, bucket.Branch, key, versionId, allBranches: false,
                Actor(r), r.Ct).ConfigureAwait(false);
        }
        catch (StrataException e) when (e.Error == StoreError.NoSuchVersion)
        {
            return null;
        }
    }

    private static string Actor(S3Request r) => r.Principal is { } p ? $"{p.User} (token {p.TokenId}) via S3" : "anonymous (auth off) via S3";

    /// <summary>
    /// The change that deletes a key (null: nothing to do). An absent key gets a delete marker where
    /// versioning was enabled by a client, whose latest delete marker (if any) the conditions are checked against.
    /// </summary>
    private static async Task<Mutation?> DeletionAsync(CommitContext ctx, string key, Preconditions pre, bool markers, VersionRow? latest)
    {
        var current = await ctx.GetAsync(key).ConfigureAwait(false);
        if (current is null)
        {
            // Deleting a missing key succeeds whatever the conditions, as S3; a delete marker "still exists".
            if (markers && latest is { IsDelete: true } && !pre.AllowMarker) throw new S3Exception(S3ErrorCode.PreconditionFailed);
            // A conditional delete of an absent key changes nothing (as RGW): there is nothing its conditions could hold for.
            return markers && pre.None ? new Mutation(key, null, Marker: true) : null;
        }
        if (!pre.Allow(current)) throw new S3Exception(S3ErrorCode.PreconditionFailed);
        return new Mutation(key, null);
    }

    public static async Task DeleteObjectAsync(S3Request r)
    {
        var key = r.RequiredKey;
        var bucket = r.WritableBucket;
        var snap = await r.OpenAsync().ConfigureAwait(false);
        var pre = new Preconditions(r.Header("If-Match"), Conditions.Date(r.Header("x-amz-if-match-last-modified-time")),
            long.TryParse(r.Header("x-amz-if-match-size"), NumberStyles.None, CultureInfo.InvariantCulture, out var sz) ? sz : null);
        if (r.Query("versionId") is { } v)
        {
            if (await PurgeAsync(r, bucket, key, v, pre).ConfigureAwait(false) is { WasDeleteMarker: true })
                r.Response.Headers["x-amz-delete-marker"] = "true";
            r.Response.Headers["x-amz-version-id"] = v;
            r.Response.StatusCode = 204;
            return;
        }
        var markers = await BucketVersioning.ExplicitlyEnabledAsync(r, bucket).ConfigureAwait(false);
        var latest = markers && snap.Commit is not null ? await GetObject.LatestVersionAsync(r, snap.Commit, key).ConfigureAwait(false) : null;
        var commit = await r.Store.CommitAsync(bucket, async ctx =>
            await DeletionAsync(ctx, key, pre, markers, latest).ConfigureAwait(false) is { } m ? [m] : [],
            $"delete {key}", r.Started, r.Ct).ConfigureAwait(false);
        if (commit is not null)
        {
            r.Response.Headers["x-amz-version-id"] = commit.Id;
            r.Response.Headers["x-amz-delete-marker"] = "true";
        }
        r.Response.StatusCode = 204;
    }

    private sealed record Item(string Key, string? VersionId, Preconditions Pre);

    private static S3Exception Malformed(string element) => new(S3ErrorCode.MalformedXML, $"{element} is not valid");

    public static async Task DeleteObjectsAsync(S3Request r)
    {
        var bucket = r.WritableBucket;
        var snap = await r.OpenAsync().ConfigureAwait(false);
        var doc = await XmlIn.ReadAsync(r.Http.Request.Body, 2 << 20, r.Ct).ConfigureAwait(false);
        if (doc is null || doc.Name.LocalName != "Delete") throw new S3Exception(S3ErrorCode.MalformedXML);
        var quiet = doc.Kid("Quiet")?.Value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) == true;
        var items = doc.Kids("Object").Select(o => new Item(
            o.Kid("Key")?.Value ?? throw new S3Exception(S3ErrorCode.MalformedXML, "Object without Key"),
            o.Kid("VersionId")?.Value is { Length: > 0 } v ? v : null,
            new Preconditions(o.Kid("ETag")?.Value,
                o.Kid("LastModifiedTime")?.Value is { } t ? (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, out var d) ? d : throw Malformed("LastModifiedTime")) : null,
                o.Kid("Size")?.Value is { } s ? (long.TryParse(s, CultureInfo.InvariantCulture, out var n) ? n : throw Malformed("Size")) : null))).ToList();
        if (items.Count == 0 || items.Count > MaxKeys)
            throw new S3Exception(S3ErrorCode.MalformedXML, $"a Delete request names 1 to {MaxKeys} objects");

        // Versioned items are purges: their conditions are checked, then they are planned together and stored at once.
        var purged = new List<(string Key, string VersionId, bool Marker)>();
        var errors = new List<(string Key, S3ErrorCode Code, string Message)>();
        var versioned = new List<KeyValuePair<string, string>>();
        foreach (var it in items)
        {
            if (it.VersionId is null) continue;
            if (!CommitId.IsValid(it.VersionId))
                errors.Add((it.Key, S3ErrorCode.InvalidArgument, "Invalid version id specified"));
            else if (await r.Store.Meta.GetVersionAsync(bucket.Repo, it.Key, it.VersionId, r.Ct).ConfigureAwait(false) is { } row && !it.Pre.Allow(row))
                errors.Add((it.Key, S3ErrorCode.PreconditionFailed, S3ErrorTable.Lookup(S3ErrorCode.PreconditionFailed).Message));
            else
                versioned.Add(KeyValuePair.Create(it.Key, it.VersionId));
        }
        if (versioned.Count > 0)
        {
            await Auth.Authorizer.RequireAsync(r, bucket.Repo, Strata.Core.Auth.RepoRole.Owner).ConfigureAwait(false);
            var outcomes = await r.Store.Purges.PurgeManyAsync(bucket.Repo, bucket.Branch, versioned, allBranches: false, Actor(r), r.Ct).ConfigureAwait(false);
            for (var i = 0; i < versioned.Count; i++)
            {
                var (key, version) = versioned[i];
                if (outcomes[i].Error is { Error: not StoreError.NoSuchVersion } e)
                {
                    var s3 = ErrorMapper.Map(e);
                    errors.Add((key, s3.Code, s3.Message));
                }
                else purged.Add((key, version, outcomes[i].Result?.WasDeleteMarker == true));
            }
        }

        var markers = await BucketVersioning.ExplicitlyEnabledAsync(r, bucket).ConfigureAwait(false);
        var latest = new Dictionary<string, VersionRow?>(StringComparer.Ordinal);
        if (markers && snap.Commit is not null)
            foreach (var it in items.Where(i => i.VersionId is null).DistinctBy(i => i.Key))
                latest[it.Key] = await GetObject.LatestVersionAsync(r, snap.Commit, it.Key).ConfigureAwait(false);
        var deleted = new List<string>();
        var refused = new List<(string Key, S3ErrorCode Code, string Message)>();
        var commit = await r.Store.CommitAsync(bucket, async ctx =>
        {
            deleted.Clear();
            refused.Clear();
            var muts = new List<Mutation>();
            foreach (var it in items.Where(i => i.VersionId is null))
            {
                try
                {
                    if (await DeletionAsync(ctx, it.Key, it.Pre, markers, latest.GetValueOrDefault(it.Key)).ConfigureAwait(false) is { } m) muts.Add(m);
                    deleted.Add(it.Key);
                }
                catch (S3Exception e)
                {
                    refused.Add((it.Key, e.Code, e.Message));
                }
            }
            return muts;
        }, $"delete {items.Count} objects", r.Started, r.Ct).ConfigureAwait(false);
        errors.AddRange(refused);
        await XmlOut.WriteAsync(r.Response, "DeleteResult", w =>
        {
            if (!quiet)
            {
                foreach (var (k, v, marker) in purged)
                {
                    w.WriteStartElement("Deleted");
                    w.El("Key", k);
                    w.El("VersionId", v);
                    if (marker)
                    {
                        w.El("DeleteMarker", true);
                        w.El("DeleteMarkerVersionId", v);
                    }
                    w.WriteEndElement();
                }
                foreach (var k in deleted)
                {
                    w.WriteStartElement("Deleted");
                    w.El("Key", k);
                    if (commit is not null)
                    {
                        w.El("DeleteMarker", true);
                        w.El("DeleteMarkerVersionId", commit.Id);
                    }
                    w.WriteEndElement();
                }
            }
            foreach (var (k, code, msg) in errors)
            {
                w.WriteStartElement("Error");
                w.El("Key", k);
                w.El("Code", code.ToString());
                w.El("Message", msg);
                w.WriteEndElement();
            }
        }, r.Ct).ConfigureAwait(false);
    }
}
