using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Strata.Core;
using Strata.Core.Tree;
using Strata.S3.Errors;
using Strata.S3.Streaming;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// CompleteMultipartUpload: validates the part list, joins the parts' chunk lists into one file
/// entry (re-chunking the seams between parts, so the object dedupes with other uploads of the
/// same bytes: about a chunk or two read per part boundary) and makes one commit. If that takes more than a moment,
/// the 200 and whitespace are sent early to keep the client's connection alive, and the result
/// or error follows in the body, as S3 does.
/// </summary>
public static class CompleteMultipartUpload
{
    private sealed record Result(string? VersionId, string ETag, IReadOnlyList<KeyValuePair<string, string>> Checksums, string? ChecksumType)
    {
        public List<KeyValuePair<string, string>> ToPairs()
        {
            var list = new List<KeyValuePair<string, string>> { new("etag", ETag) };
            if (VersionId is not null) list.Add(new("version", VersionId));
            if (ChecksumType is not null) list.Add(new("type", ChecksumType));
            list.AddRange(Checksums.Select(c => new KeyValuePair<string, string>("checksum:" + c.Key, c.Value)));
            return list;
        }

        public static Result FromPairs(IReadOnlyList<KeyValuePair<string, string>> pairs)
        {
            string? Get(string k) => pairs.FirstOrDefault(p => p.Key == k).Value;
            return new Result(Get("version"), Get("etag")!,
                pairs.Where(p => p.Key.StartsWith("checksum:", StringComparison.Ordinal)).Select(p => new KeyValuePair<string, string>(p.Key[9..], p.Value)).ToList(),
                Get("type"));
        }
    }

    public static async Task CompleteMultipartUploadAsync(S3Request r)
    {
        var key = r.RequiredKey;
        var bucket = r.WritableBucket;
        var u = await r.Store.Uploads.GetAsync(bucket, key, r.Query("uploadId")!, r.Ct, allowCompleted: true).ConfigureAwait(false);
        var requested = await ReadPartListAsync(r).ConfigureAwait(false);
        if (u.Completion is { } earlier)
        {
            // A retried Complete (the client missed the first answer) gets the same result.
            var again = Result.FromPairs(earlier);
            SetHeaders(r, again);
            await XmlOut.WriteAsync(r.Response, "CompleteMultipartUploadResult", w => WriteResult(w, r, key, again), r.Ct).ConfigureAwait(false);
            return;
        }

        var work = CompleteAsync(r, bucket, u, requested);
        if (await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(2), r.Ct)).ConfigureAwait(false) == work)
        {
            var done = await work.ConfigureAwait(false);
            SetHeaders(r, done);
            await XmlOut.WriteAsync(r.Response, "CompleteMultipartUploadResult", w => WriteResult(w, r, key, done), r.Ct).ConfigureAwait(false);
            return;
        }
        // Slow: commit to 200 now and keep the connection alive with whitespace.
        r.Response.StatusCode = 200;
        r.Response.ContentType = "application/xml";
        await r.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", r.Ct).ConfigureAwait(false);
        while (await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(5), r.Ct)).ConfigureAwait(false) != work)
            await r.Response.WriteAsync(" ", r.Ct).ConfigureAwait(false);
        var sb = new StringBuilder();
        try
        {
            var done = await work.ConfigureAwait(false);
            using var w = System.Xml.XmlWriter.Create(sb, new System.Xml.XmlWriterSettings { OmitXmlDeclaration = true });
            w.WriteStartElement("CompleteMultipartUploadResult", XmlOut.Ns);
            WriteResult(w, r, key, done);
            w.WriteEndElement();
        }
        catch (Exception e) when (e is S3Exception or StrataException)
        {
            var s3 = e as S3Exception ?? ErrorMapper.Map((StrataException)e);
            sb.Append($"<Error><Code>{s3.Code}</Code><Message>{System.Security.SecurityElement.Escape(s3.Message)}</Message><RequestId>{r.RequestId}</RequestId></Error>");
        }
        await r.Response.WriteAsync(sb.ToString(), r.Ct).ConfigureAwait(false);
    }

    private static void SetHeaders(S3Request r, Result done)
    {
        if (done.VersionId is not null) r.Response.Headers["x-amz-version-id"] = done.VersionId;
    }

    private static void WriteResult(System.Xml.XmlWriter w, S3Request r, string key, Result done)
    {
        w.El("Location", $"/{r.BucketName}/{ListObjects.UrlEncode(key)}");
        w.El("Bucket", r.BucketName);
        w.El("Key", key);
        w.El("ETag", done.ETag);
        foreach (var (alg, v) in done.Checksums) w.El("Checksum" + alg, v);
        if (done.ChecksumType is not null) w.El("ChecksumType", done.ChecksumType);
    }

    private sealed record RequestedPart(int Number, string ETag, Dictionary<string, string> Checksums);

    private static async Task<List<RequestedPart>> ReadPartListAsync(S3Request r)
    {
        var doc = await XmlIn.ReadAsync(r.Http.Request.Body, 4 << 20, r.Ct).ConfigureAwait(false);
        if (doc is null || doc.Name.LocalName != "CompleteMultipartUpload")
            throw new S3Exception(S3ErrorCode.MalformedXML);
        var parts = new List<RequestedPart>();
        foreach (var p in doc.Kids("Part"))
        {
            if (!int.TryParse(p.Kid("PartNumber")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                throw new S3Exception(S3ErrorCode.MalformedXML, "Part without a valid PartNumber");
            var checksums = p.Elements().Where(e => e.Name.LocalName.StartsWith("Checksum", StringComparison.Ordinal) && e.Name.LocalName != "ChecksumType")
                .ToDictionary(e => e.Name.LocalName["Checksum".Length..], e => e.Value);
            parts.Add(new RequestedPart(n, p.Kid("ETag")?.Value ?? "", checksums));
        }
        if (parts.Count == 0)
            throw new S3Exception(S3ErrorCode.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema");
        return parts;
    }

    private static async Task<Result> CompleteAsync(S3Request r, BucketRef bucket, UploadInfo u, List<RequestedPart> requested)
    {
        var parts = await r.Store.Uploads.SelectPartsAsync(u, requested.Select(p => (p.Number, p.ETag)).ToList(), r.Ct).ConfigureAwait(false);
        for (var i = 0; i < parts.Count; i++)
            foreach (var (alg, want) in requested[i].Checksums)
                if (parts[i].Checksums.FirstOrDefault(c => c.Key == alg).Value is { } have && have != want)
                    throw new S3Exception(S3ErrorCode.InvalidPart, $"the {alg} checksum of part {parts[i].Number} does not match");
        var checksums = ObjectChecksum(r, u, parts);
        var joined = await r.Store.Uploads.JoinAsync(parts, r.Ct).ConfigureAwait(false);
        var entryTemplate = new FileEntry
        {
            Size = parts.Sum(p => p.Size), ETag = MultipartUploads.MultipartETag(parts),
            Chunks = joined.Chunks, ContentHash = default, CommitId = "", ModifiedUnixMs = 0,
            Headers = u.Headers.Where(h => h.Key != CreateMultipartUpload.TaggingHeader).ToList(), Checksums = checksums, Parts = parts.Select(p => new PartRef(p.Size,
                u.ChecksumAlgorithm is { } alg ? p.Checksums.FirstOrDefault(c => c.Key == alg).Value : null, Convert.ToHexStringLower(p.Md5))).ToList(),
        };
        entryTemplate = entryTemplate with { ContentHash = ContentAddress.Of(entryTemplate.Chunks) };
        var conditional = r.Header("If-Match") is not null || r.Header("If-None-Match") is not null;
        var tags = Tags.FromHeader(u.Headers.FirstOrDefault(h => h.Key == CreateMultipartUpload.TaggingHeader).Value);
        FileEntry? written = null;
        var commit = await r.Store.CommitAsync(bucket, async ctx =>
        {
            if (conditional) Conditions.CheckWrite(r, await ctx.GetAsync(u.Key).ConfigureAwait(false));
            written = entryTemplate with { CommitId = ctx.Id, ModifiedUnixMs = ctx.TimeUnixMs };
            return [new Mutation(u.Key, written) { Tags = tags }];
        }, $"complete multipart upload of {u.Key}", joined.ReliesOnSince(r.Started), r.Ct).ConfigureAwait(false);
        await PutObject.StoreOpenCommitTagsAsync(r, commit, bucket.Repo, u.Key, written!.CommitId, tags).ConfigureAwait(false);
        var result = new Result(commit?.Id, written!.ETag, checksums, checksums.Count > 0 ? u.ChecksumType : null);
        await r.Store.Uploads.MarkCompletedAsync(u.Id, result.ToPairs(), r.Ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// The object's checksum from the parts' checksums: FULL_OBJECT CRCs are combined
    /// mathematically; COMPOSITE is the hash of the parts' digests, suffixed -N. A full-object
    /// checksum the client sent with Complete is verified.
    /// </summary>
    private static List<KeyValuePair<string, string>> ObjectChecksum(S3Request r, UploadInfo u, List<PartInfo> parts)
    {
        if (u.ChecksumAlgorithm is not { } name || ChecksumAlgorithms.Parse(name) is not { } alg) return [];
        var values = parts.Select(p => p.Checksums.FirstOrDefault(c => c.Key == name).Value).ToList();
        var sent = r.Header(ChecksumAlgorithms.HeaderName(alg));
        if (values.Any(v => v is null))
        {
            if (sent is not null) throw new S3Exception(S3ErrorCode.BadDigest, $"parts were uploaded without {name} checksums, so the object's cannot be verified");
            return [];
        }
        string value;
        if (u.ChecksumType == "FULL_OBJECT")
            value = CrcCombine.CombineBase64(alg, values.Select((v, i) => (v!, parts[i].Size)).ToList());
        else
        {
            using var h = ChecksumAlgorithms.Create(alg);
            foreach (var v in values) h.Append(Convert.FromBase64String(v!));
            value = $"{h.GetBase64()}-{parts.Count}";
        }
        // A sent composite value may omit the -N suffix.
        if (sent is not null && sent != value && sent != value.Split('-')[0])
            throw new S3Exception(S3ErrorCode.BadDigest, $"The {name} you specified did not match the calculated checksum.");
        return [new(name, value)];
    }
}
