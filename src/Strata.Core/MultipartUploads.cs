using System.Security.Cryptography;
using Strata.Core.Storage;

namespace Strata.Core;

/// <summary>
/// Multipart uploads over the versioned store. Parts are streamed into the chunk store as they
/// arrive and recorded as metadata; completing an upload joins the parts' chunk lists into one
/// file entry, re-chunking only the seams between parts (<see cref="JoinAsync"/>), so that the
/// object's chunks are those of its whole stream and dedupe with any other upload of its bytes.
/// </summary>
public sealed class MultipartUploads(VersionedStore store, TimeProvider? clock = null)
{
    public const int MaxPartNumber = 10_000;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private IMetadataStore Meta => store.Meta;

    /// <summary>The smallest size of every part but the last (S3: 5 MiB).</summary>
    public long MinPartSize { get; set; } = 5L << 20;

    public async Task<UploadInfo> CreateAsync(BucketRef bucket, string key, IReadOnlyList<KeyValuePair<string, string>> headers,
        string? checksumAlgorithm, string? checksumType, CancellationToken ct)
    {
        await store.GetBranchAsync(bucket.Repo, bucket.Branch, ct).ConfigureAwait(false);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var u = new UploadInfo(id, bucket.Repo, bucket.Branch, key, _clock.GetUtcNow(), headers, checksumAlgorithm, checksumType);
        await Meta.CreateUploadAsync(u, ct).ConfigureAwait(false);
        return u;
    }

    /// <summary>The upload, if it exists (and is not completed, unless allowed) and belongs to this bucket and key.</summary>
    public async Task<UploadInfo> GetAsync(BucketRef bucket, string key, string uploadId, CancellationToken ct, bool allowCompleted = false)
    {
        var u = await Meta.GetUploadAsync(uploadId, ct).ConfigureAwait(false);
        if (u is null || u.Repo != bucket.Repo || u.Branch != bucket.Branch || u.Key != key || (u.IsCompleted && !allowCompleted))
            throw new StrataException(StoreError.NoSuchUpload, $"upload {uploadId} does not exist for this key");
        return u;
    }

    /// <summary>Records a part whose content was stored by a write that began at <paramref name="since"/> (its content's reuse is accounted for here).</summary>
    public async Task<PartInfo> PutPartAsync(UploadInfo u, int number, Chunking.ContentInfo content,
        IReadOnlyList<KeyValuePair<string, string>> checksums, DateTimeOffset since, CancellationToken ct)
    {
        var p = new PartInfo(u.Id, number, content.Size, content.Md5, content.Chunks, checksums, _clock.GetUtcNow());
        bool stored;
        try
        {
            stored = await Meta.PutPartAsync(p, VersionedStore.ProtectedSince(content.ReliesOnSince(since)), ct).ConfigureAwait(false);
        }
        catch (StrataException e) when (e.Error == StoreError.GcExpired)
        {
            await store.RefreshCutoffAsync(ct).ConfigureAwait(false);
            throw;
        }
        if (!stored)
            throw new StrataException(StoreError.NoSuchUpload, $"upload {u.Id} was completed or aborted");
        return p;
    }

    public async Task<List<PartInfo>> AllPartsAsync(string uploadId, CancellationToken ct)
    {
        var all = new List<PartInfo>();
        while (true)
        {
            var page = await Meta.ListPartsAsync(uploadId, all.Count == 0 ? 0 : all[^1].Number, 1000, ct).ConfigureAwait(false);
            all.AddRange(page);
            if (page.Count < 1000) return all;
        }
    }

    /// <summary>
    /// Checks a completion request against the stored parts as S3 does and returns the chosen
    /// parts in order: ascending numbers (InvalidPartOrder), existing parts with matching ETags
    /// (InvalidPart), every part but the last at least MinPartSize (EntityTooSmall).
    /// </summary>
    public async Task<List<PartInfo>> SelectPartsAsync(UploadInfo u, IReadOnlyList<(int Number, string ETag)> requested, CancellationToken ct)
    {
        var stored = (await AllPartsAsync(u.Id, ct).ConfigureAwait(false)).ToDictionary(p => p.Number);
        var chosen = new List<PartInfo>(requested.Count);
        var last = 0;
        foreach (var (number, etag) in requested)
        {
            if (number <= last) throw new StrataException(StoreError.InvalidPartOrder, "parts must be listed in ascending order of part number");
            last = number;
            if (!stored.TryGetValue(number, out var p) || Unquote(p.ETag) != Unquote(etag))
                throw new StrataException(StoreError.InvalidPart, $"part {number} was not uploaded or its ETag does not match");
            chosen.Add(p);
        }
        for (var i = 0; i < chosen.Count - 1; i++)
            if (chosen[i].Size < MinPartSize)
                throw new StrataException(StoreError.EntityTooSmall, $"part {chosen[i].Number} is {chosen[i].Size} bytes; all parts but the last must be at least {MinPartSize}");
        return chosen;
    }

    /// <summary>
    /// The chunk list of the object the parts make: theirs, with the seams between them cut again
    /// as one stream would be (about a chunk or two read and cut per part boundary; see <see cref="Chunking.PartSeams"/>).
    /// A commit of it relies on stored things since <see cref="Chunking.JoinedContent.ReliesOnSince"/>.
    /// </summary>
    public Task<Chunking.JoinedContent> JoinAsync(IReadOnlyList<PartInfo> parts, CancellationToken ct) =>
        Chunking.PartSeams.JoinAsync(store.Content, parts.Select(p => p.Chunks).ToList(), ct);

    /// <summary>S3's multipart ETag: MD5 of the parts' binary MD5s, then -N.</summary>
    public static string MultipartETag(IReadOnlyList<PartInfo> parts)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        foreach (var p in parts) md5.AppendData(p.Md5);
        return $"\"{Convert.ToHexStringLower(md5.GetHashAndReset())}-{parts.Count}\"";
    }

    public Task<bool> AbortAsync(string uploadId, CancellationToken ct) => Meta.DeleteUploadAsync(uploadId, ct);

    public Task MarkCompletedAsync(string uploadId, IReadOnlyList<KeyValuePair<string, string>> completion, CancellationToken ct) =>
        Meta.MarkUploadCompletedAsync(uploadId, completion, ct);

    /// <summary>Aborts uploads older than maxAge; their chunks become garbage. Returns how many.</summary>
    public async Task<int> AbortStaleAsync(TimeSpan maxAge, CancellationToken ct)
    {
        var n = 0;
        while (true)
        {
            var stale = await Meta.ListUploadsCreatedBeforeAsync(_clock.GetUtcNow() - maxAge, 100, ct).ConfigureAwait(false);
            foreach (var u in stale)
                if (await Meta.DeleteUploadAsync(u.Id, ct).ConfigureAwait(false)) n++;
            if (stale.Count < 100) return n;
        }
    }

    private static string Unquote(string s) => s.Trim().Trim('"');
}
