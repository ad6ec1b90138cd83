using Microsoft.Net.Http.Headers;
using Strata.Core;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>
/// Conditional request headers evaluated as S3 (RFC 7232 order): If-Match, then
/// If-Unmodified-Since unless If-Match was given; If-None-Match, then If-Modified-Since unless
/// If-None-Match was given. Times compare at one-second resolution, as HTTP dates carry.
/// </summary>
public static class Conditions
{
    public static void Check(S3Request r, FileEntry f, bool isRead, string prefix = "")
    {
        var ifMatch = r.Header(prefix + "If-Match");
        var ifNoneMatch = r.Header(prefix + "If-None-Match");
        var ifUnmodified = Date(r.Header(prefix + "If-Unmodified-Since"));
        var ifModified = Date(r.Header(prefix + "If-Modified-Since"));
        var modified = DateTimeOffset.FromUnixTimeSeconds(f.Modified.ToUnixTimeSeconds());

        if (ifMatch is not null)
        {
            if (!EtagMatches(ifMatch, f.ETag)) throw Failed(f);
        }
        else if (ifUnmodified is { } u && modified > u) throw Failed(f);

        if (ifNoneMatch is not null)
        {
            if (EtagMatches(ifNoneMatch, f.ETag)) throw isRead ? NotModified(f) : Failed(f);
        }
        else if (isRead && ifModified is { } m && modified <= m) throw NotModified(f);
    }

    /// <summary>
    /// Conditional PutObject (S3 conditional writes), checked against the head the commit builds
    /// on: If-Match needs the key (NoSuchKey otherwise) with that ETag; If-None-Match fails when
    /// the key exists and matches (* matches any).
    /// </summary>
    public static void CheckWrite(S3Request r, FileEntry? current)
    {
        if (r.Header("If-Match") is { } ifMatch)
        {
            if (current is null) throw new S3Exception(S3ErrorCode.NoSuchKey);
            if (!EtagMatches(ifMatch, current.ETag)) throw Failed(current);
        }
        if (r.Header("If-None-Match") is { } ifNoneMatch && current is not null && EtagMatches(ifNoneMatch, current.ETag))
            throw Failed(current);
    }

    /// <summary>Conditional delete: ETag, last-modified time and size must all match an existing key.</summary>
    public static bool DeleteAllowed(FileEntry current, string? ifMatch, DateTimeOffset? lastModified, long? size) =>
        (ifMatch is null || EtagMatches(ifMatch, current.ETag))
        && (lastModified is null || lastModified.Value.ToUnixTimeSeconds() == current.Modified.ToUnixTimeSeconds())
        && (size is null || size == current.Size);

    private static bool EtagMatches(string header, string etag)
    {
        foreach (var part in header.Split(','))
        {
            var t = part.Trim();
            if (t == "*") return true;
            if (t.StartsWith("W/", StringComparison.Ordinal)) t = t[2..];
            if (t.Trim('"') == etag.Trim('"')) return true;
        }
        return false;
    }

    public static DateTimeOffset? Date(string? s) =>
        s is not null && HeaderUtilities.TryParseDate(s, out var d) ? d : null;

    private static S3Exception Failed(FileEntry f) => new(S3ErrorCode.PreconditionFailed);

    private static S3Exception NotModified(FileEntry f)
    {
        var e = new S3Exception(S3ErrorCode.NotModified);
        e.Headers["ETag"] = f.ETag;
        e.Headers["Last-Modified"] = f.Modified.ToString("R");
        return e;
    }
}
