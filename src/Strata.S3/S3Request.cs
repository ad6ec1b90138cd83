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

    /// <summary>When the request began, before it read or stored anything: the write's reference point for garbage collection.</summary>
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;
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

    /// <summary>
    /// Splits the raw request target (so that %2F and + in keys survive) into bucket and key. With
    /// <paramref name="domains"/>, a Host below one of them names the bucket (virtual-hosted style)
    /// and the whole path is the key; any other Host is path-style.
    /// </summary>
    public static (string? Bucket, string? Key) ParsePath(HttpContext ctx, IReadOnlyList<string>? domains = null)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "/";
        if (raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            raw = Uri.TryCreate(raw, UriKind.Absolute, out var abs) ? abs.PathAndQuery : throw new S3Exception(S3ErrorCode.InvalidURI);
        var q = raw.IndexOf('?');
        var path = q >= 0 ? raw[..q] : raw;
        if (path.StartsWith('/')) path = path[1..];
        if (VirtualHostBucket(ctx.Request.Host.Host, domains) is { } vhost)
            return (vhost, path.Length == 0 ? null : Unescape(path));
        if (path.Length == 0) return (null, null);
        var slash = path.IndexOf('/');
        if (slash < 0) return (Unescape(path), null);
        var bucket = Unescape(path[..slash]);
        var key = path[(slash + 1)..];
        return (bucket, key.Length == 0 ? null : Unescape(key));
    }

    /// <summary>The bucket a virtual-hosted Host names: the Host (without port) minus ".domain"; null for path-style.</summary>
    public static string? VirtualHostBucket(string? host, IReadOnlyList<string>? domains)
    {
        if (string.IsNullOrEmpty(host) || domains is null) return null;
        string? best = null;
        foreach (var d in domains)
        {
            // The longest matching domain wins (s3.example and eu.s3.example may both be served).
            if (d.Length > 0 && host.Length > d.Length + 1 && host[^(d.Length + 1)] == '.'
                && host.EndsWith(d, StringComparison.OrdinalIgnoreCase) && (best is null || host.Length - d.Length - 1 < best.Length))
                best = host[..^(d.Length + 1)];
        }
        return best;
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Percent-decodes a path segment; escapes that do not form UTF-8 are InvalidURI, as in S3.</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('%')) return s;
        var bytes = new List<byte>(s.Length);
        var run = 0; // start of the current run of literal characters
        for (var i = 0; i <= s.Length; i++)
        {
            var escape = i + 2 < s.Length && s[i] == '%' && Uri.IsHexDigit(s[i + 1]) && Uri.IsHexDigit(s[i + 2]);
            if (i < s.Length && !escape) continue;
            bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(s[run..i]));
            if (escape)
            {
                bytes.Add(Convert.ToByte(s.Substring(i + 1, 2), 16));
                i += 2;
            }
            run = i + 1;
        }
        try
        {
            return StrictUtf8.GetString(bytes.ToArray());
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new S3Exception(S3ErrorCode.InvalidURI);
        }
    }
}
