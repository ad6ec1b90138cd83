using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core;
using Strata.Core.Tree;

namespace Strata.Server.Admin;

/// <summary>
/// Writes one file from a request body, streamed into chunks as PutObject does (never buffered
/// whole), with the MD5 ETag the gateway would give it. Used by <c>PUT /api/repos/{repo}/content</c>
/// and by the console's upload.
/// </summary>
public static class ContentUpload
{
    public const int MaxKeyBytes = 1024;

    public static void Map(RouteGroupBuilder api, VersionedStore store)
    {
        api.MapPut("/repos/{repo}/content", async (HttpContext http, string repo, string branch, string path, CancellationToken ct) =>
        {
            var (commit, etag, key) = await WriteAsync(store, repo, branch, path, http.Request.Body, http.Request.ContentType, ct);
            return Results.Json(new { path = key, etag, commit = commit?.Id }, statusCode: 201);
        });
    }

    /// <summary>Stores <paramref name="body"/> at <paramref name="path"/> on the branch (or its open explicit commit).</summary>
    public static async Task<(CommitInfo? Commit, string ETag, string Key)> WriteAsync(VersionedStore store, string repo, string branch, string path,
        Stream body, string? contentType, CancellationToken ct)
    {
        var key = path.TrimStart('/');
        if (key.Length == 0 || key.EndsWith('/') || Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
            throw new StrataException(StoreError.InvalidName, "a file path is 1-1024 bytes of UTF-8 and does not end with /");
        // NoSuchBranch before reading a large body.
        await store.GetBranchAsync(repo, branch, ct);
        var started = DateTimeOffset.UtcNow;
        var c = await store.Content.WriteAsync(body, ct, inline: true);
        var etag = "\"" + Convert.ToHexStringLower(c.Md5) + "\"";
        List<KeyValuePair<string, string>> headers = string.IsNullOrEmpty(contentType) ? [] : [new("content-type", contentType)];
        var commit = await store.CommitAsync(new BucketRef(repo, branch, null), ctx => Task.FromResult<IEnumerable<Mutation>>(
        [
            new Mutation(key, new FileEntry
            {
                Size = c.Size, ETag = etag, ContentHash = c.ContentHash, CommitId = ctx.Id, ModifiedUnixMs = ctx.TimeUnixMs,
                Chunks = c.Chunks, Headers = headers,
            }) { Inline = c.Inline },
        ]), $"put {key}", c.ReliesOnSince(started), ct);
        return (commit, etag, key);
    }
}
