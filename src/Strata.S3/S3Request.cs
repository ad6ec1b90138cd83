using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strata.Core;
using Strata.S3.Errors;
using Strata.S3.Routing;

namespace Strata.S3;

/// <summary>One S3 request: the HTTP context plus what the gateway parsed from it.</summary>
public sealed class S3Request
{
    public required HttpContext Http { get; init; }
    public required VersionedStore Store { get; init; }
    public required S3Options Options { get; init; }
    public required string RequestId { get; init; }
    public string? BucketName { get; init; }
    public string? Key { get; init; }
    public S3Operation Operation { get; set; }
    /// <summary>The authenticated caller; null when auth is off.</summary>
    public Strata.Core.Auth.Principal? Principal { get; set; }
    public Strata.Core.Auth.IAccessStore? Access { get; init; }

    public CancellationToken Ct => Http.RequestAborted;
    public HttpResponse Response => Http.Response;

    public bool Has(string name) => Http.Request.Query.ContainsKey(name);
    public string? Query(string name) => Http.Request.Query.TryGetValue(name, out var v) ? v.ToString() : null;
    public string? Header(string name) => Http.Request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;

    /// <summary>The key, for operations that need one.</summary>
    public string RequiredKey => Key ?? throw new S3Exception(S3ErrorCode.InvalidRequest, "this operation needs an object key");

    /// <summary>The bucket parsed as branch.repo (or repo, or commit.branch.repo); InvalidBucketName otherwise.</summary>
    public BucketRef Bucket => BucketName is { } b && Names.ParseBucket(b) is { } r
        ? r
        : throw new S3Exception(S3ErrorCode.InvalidBucketName,
            $"'{BucketName}' is not a bucket: buckets are branch.repo (or repo for master.repo), names of [A-Za-z0-9_-]");

    /// <summary>A bucket that may be written: not a snapshot.</summary>
    public BucketRef WritableBucket => Bucket is { Snapshot: null } b
        ? b
        : throw new S3Exception(S3ErrorCode.MethodNotAllowed, $"{BucketName} is a read-only snapshot of a commit; write to {Bucket.Branch}.{Bucket.Repo}");

    public Task<Snapshot> OpenAsync() => Store.OpenAsync(Bucket, Ct);

    /// <summary>Splits the raw request target (so that %2F and + in keys survive) into bucket and key.</summary>
    public static (string? Bucket, string? Key) ParsePath(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "/";
        if (raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            raw = new Uri(raw).PathAndQuery;
        var q = raw.IndexOf('?');
        var path = q >= 0 ? raw[..q] : raw;
        if (path.StartsWith('/')) path = path[1..];
        if (path.Length == 0) return (null, null);
        var slash = path.IndexOf('/');
        if (slash < 0) return (Uri.UnescapeDataString(path), null);
        var bucket = Uri.UnescapeDataString(path[..slash]);
        var key = path[(slash + 1)..];
        return (bucket, key.Length == 0 ? null : Uri.UnescapeDataString(key));
    }
}
