using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Strata.Core.Storage;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>One CORSRule of a bucket's CORS configuration.</summary>
public sealed record CorsRule(string? Id, IReadOnlyList<string> AllowedOrigins, IReadOnlyList<string> AllowedMethods,
    IReadOnlyList<string> AllowedHeaders, IReadOnlyList<string> ExposeHeaders, int? MaxAgeSeconds);

/// <summary>
/// Get/Put/DeleteBucketCors. The configuration is kept per bucket (branch): each branch of a repo
/// is a bucket of its own to S3 tools. It is stored as the XML document this class writes.
/// </summary>
public static class BucketCors
{
    public const int MaxRules = 100;
    private static readonly string[] Methods = ["GET", "PUT", "HEAD", "POST", "DELETE"];

    public static async Task GetBucketCorsAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        var rules = await LoadAsync(r, r.Bucket.Repo, r.Bucket.Branch).ConfigureAwait(false)
            ?? throw new S3Exception(S3ErrorCode.NoSuchCORSConfiguration);
        await XmlOut.WriteAsync(r.Response, "CORSConfiguration", w => WriteRules(w, rules), r.Ct).ConfigureAwait(false);
    }

    public static async Task PutBucketCorsAsync(S3Request r)
    {
        var bucket = r.WritableBucket;
        await r.OpenAsync().ConfigureAwait(false);
        var body = await XmlIn.ReadAsync(r.Http.Request.Body, 64 << 10, r.Ct).ConfigureAwait(false);
        var rules = Parse(body);
        await r.Store.Meta.SetBucketConfigAsync(bucket.Repo, bucket.Branch, BucketConfigKind.Cors, ToDocument(rules), r.Ct).ConfigureAwait(false);
    }

    public static async Task DeleteBucketCorsAsync(S3Request r)
    {
        var bucket = r.WritableBucket;
        await r.OpenAsync().ConfigureAwait(false);
        await r.Store.Meta.SetBucketConfigAsync(bucket.Repo, bucket.Branch, BucketConfigKind.Cors, null, r.Ct).ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }

    /// <summary>The bucket's rules, or null when it has none (a bucket that does not exist has none either).</summary>
    public static async Task<IReadOnlyList<CorsRule>?> LoadAsync(S3Request r, string repo, string branch)
    {
        var doc = await r.Store.Meta.GetBucketConfigAsync(repo, branch, BucketConfigKind.Cors, r.Ct).ConfigureAwait(false);
        return doc is null ? null : Parse(XElement.Parse(doc));
    }

    /// <summary>A CORSConfiguration document checked as S3 checks it.</summary>
    public static List<CorsRule> Parse(XElement? body)
    {
        if (body is null || body.Name.LocalName != "CORSConfiguration") throw new S3Exception(S3ErrorCode.MalformedXML);
        var rules = new List<CorsRule>();
        foreach (var e in body.Kids("CORSRule"))
        {
            List<string> All(string name) => [.. e.Kids(name).Select(x => x.Value.Trim())];
            var origins = All("AllowedOrigin");
            var methods = All("AllowedMethod");
            if (origins.Count == 0 || methods.Count == 0) throw new S3Exception(S3ErrorCode.MalformedXML);
            foreach (var m in methods)
                if (!Methods.Contains(m, StringComparer.Ordinal))
                    throw new S3Exception(S3ErrorCode.InvalidRequest, $"Found unsupported HTTP method in CORS config. Unsupported method is {m}");
            foreach (var o in origins)
                if (o.Count(c => c == '*') > 1) throw new S3Exception(S3ErrorCode.InvalidRequest, $"AllowedOrigin \"{o}\" can not have more than one wildcard.");
            var headers = All("AllowedHeader");
            foreach (var h in headers)
                if (h.Count(c => c == '*') > 1) throw new S3Exception(S3ErrorCode.InvalidRequest, $"AllowedHeader \"{h}\" can not have more than one wildcard.");
            int? maxAge = null;
            if (e.Kid("MaxAgeSeconds") is { } ma)
                maxAge = int.TryParse(ma.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : throw new S3Exception(S3ErrorCode.MalformedXML);
            var id = e.Kid("ID")?.Value;
            if (id is { Length: > 255 }) throw new S3Exception(S3ErrorCode.InvalidArgument, "The ID of a CORSRule can be at most 255 characters");
            rules.Add(new CorsRule(id, origins, methods, headers, All("ExposeHeader"), maxAge));
        }
        if (rules.Count == 0) throw new S3Exception(S3ErrorCode.MalformedXML);
        if (rules.Count > MaxRules) throw new S3Exception(S3ErrorCode.InvalidRequest, "The number of CORS rules should not exceed allowed limit of 100 rules.");
        return rules;
    }

    private static void WriteRules(XmlWriter w, IReadOnlyList<CorsRule> rules)
    {
        foreach (var rule in rules)
        {
            w.WriteStartElement("CORSRule");
            w.El("ID", rule.Id);
            foreach (var h in rule.AllowedHeaders) w.El("AllowedHeader", h);
            foreach (var m in rule.AllowedMethods) w.El("AllowedMethod", m);
            foreach (var o in rule.AllowedOrigins) w.El("AllowedOrigin", o);
            foreach (var h in rule.ExposeHeaders) w.El("ExposeHeader", h);
            if (rule.MaxAgeSeconds is { } ma) w.El("MaxAgeSeconds", ma);
            w.WriteEndElement();
        }
    }

    private static string ToDocument(IReadOnlyList<CorsRule> rules)
    {
        var sb = new System.Text.StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { OmitXmlDeclaration = true }))
        {
            w.WriteStartElement("CORSConfiguration", XmlOut.Ns);
            WriteRules(w, rules);
            w.WriteEndElement();
        }
        return sb.ToString();
    }
}
