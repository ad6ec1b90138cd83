using System.Globalization;
using Microsoft.AspNetCore.Http;
using Strata.Core;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>
/// CORS as S3 does it: preflights (OPTIONS) are answered from the bucket's rules without
/// credentials, and other requests that carry an Origin a rule allows get the
/// Access-Control-* headers on their answer, errors included.
/// </summary>
public static class Cors
{
    private const string ItemKey = "strata.cors";
    private const string Vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

    /// <summary>An AllowedOrigin (at most one '*', matching any run of characters) against an Origin.</summary>
    public static bool OriginMatches(string pattern, string origin) => Wildcard(pattern, origin, StringComparison.Ordinal);

    /// <summary>Header names compare without case, as HTTP's do.</summary>
    public static bool HeaderMatches(string pattern, string header) => Wildcard(pattern, header, StringComparison.OrdinalIgnoreCase);

    private static bool Wildcard(string pattern, string value, StringComparison cmp)
    {
        var star = pattern.IndexOf('*');
        if (star < 0) return string.Equals(pattern, value, cmp);
        var (prefix, suffix) = (pattern[..star], pattern[(star + 1)..]);
        return value.Length >= prefix.Length + suffix.Length && value.StartsWith(prefix, cmp) && value.EndsWith(suffix, cmp);
    }

    /// <summary>The first rule that allows the origin, the method and every one of the headers (S3 takes the first match).</summary>
    public static CorsRule? Match(IReadOnlyList<CorsRule> rules, string origin, string method, IReadOnlyList<string> headers) =>
        rules.FirstOrDefault(rule => rule.AllowedOrigins.Any(o => OriginMatches(o, origin))
            && rule.AllowedMethods.Contains(method, StringComparer.Ordinal)
            && headers.All(h => rule.AllowedHeaders.Any(p => HeaderMatches(p, h))));

    public static async Task PreflightAsync(S3Request r)
    {
        var origin = r.Header("Origin");
        if (string.IsNullOrEmpty(origin))
            throw new S3Exception(S3ErrorCode.InvalidRequest, "Insufficient information. Origin request header needed.");
        var method = r.Header("Access-Control-Request-Method");
        if (string.IsNullOrEmpty(method))
            throw new S3Exception(S3ErrorCode.InvalidRequest, "Invalid Access-Control-Request-Method: null");
        // Straight to the store's configuration: a bucket that does not exist has none, and an unsigned caller learns no more than that.
        var bucket = r.BucketName is { } name ? Names.ParseBucket(name) : null;
        var rules = bucket is null ? null : await BucketCors.LoadAsync(r, bucket.Repo, bucket.Branch).ConfigureAwait(false);
        if (rules is null) throw new S3Exception(S3ErrorCode.AccessForbidden, "CORSResponse: CORS is not enabled for this bucket.");
        var requested = (r.Header("Access-Control-Request-Headers") ?? "")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var rule = Match(rules, origin, method, requested) ?? throw new S3Exception(S3ErrorCode.AccessForbidden);
        var h = r.Response.Headers;
        foreach (var (k, v) in Headers(rule, origin)) h[k] = v;
        if (requested.Length > 0) h["Access-Control-Allow-Headers"] = string.Join(", ", requested.Select(x => x.ToLowerInvariant()));
        r.Response.StatusCode = 200;
        r.Response.ContentLength = 0;
    }

    /// <summary>
    /// For a request with an Origin: the headers its bucket's rules grant, added now and kept for
    /// an error answer. The method matched is Access-Control-Request-Method if sent, else the request's.
    /// </summary>
    public static async Task AddToResponseAsync(S3Request r)
    {
        var origin = r.Header("Origin");
        if (string.IsNullOrEmpty(origin) || r.BucketName is not { } name || Names.ParseBucket(name) is not { } bucket) return;
        if (await BucketCors.LoadAsync(r, bucket.Repo, bucket.Branch).ConfigureAwait(false) is not { } rules) return;
        var method = r.Header("Access-Control-Request-Method") ?? r.Http.Request.Method;
        var headers = Match(rules, origin, method, []) is { } rule ? Headers(rule, origin) : new Dictionary<string, string> { ["Vary"] = Vary };
        r.Http.Items[ItemKey] = headers;
        Apply(r.Http);
    }

    /// <summary>Puts the granted headers (back) on the response, after an error cleared it.</summary>
    public static void Apply(HttpContext ctx)
    {
        if (ctx.Items.TryGetValue(ItemKey, out var o) && o is Dictionary<string, string> headers)
            foreach (var (k, v) in headers) ctx.Response.Headers[k] = v;
    }

    private static Dictionary<string, string> Headers(CorsRule rule, string origin)
    {
        var any = rule.AllowedOrigins.Contains("*");
        var h = new Dictionary<string, string>
        {
            ["Access-Control-Allow-Origin"] = any ? "*" : origin,
            ["Access-Control-Allow-Methods"] = string.Join(", ", rule.AllowedMethods),
            ["Vary"] = Vary,
        };
        // S3 allows credentials whenever it names the origin rather than "*" (a browser refuses credentials with "*").
        if (!any) h["Access-Control-Allow-Credentials"] = "true";
        if (rule.ExposeHeaders.Count > 0) h["Access-Control-Expose-Headers"] = string.Join(", ", rule.ExposeHeaders);
        if (rule.MaxAgeSeconds is { } ma) h["Access-Control-Max-Age"] = ma.ToString(CultureInfo.InvariantCulture);
        return h;
    }
}
