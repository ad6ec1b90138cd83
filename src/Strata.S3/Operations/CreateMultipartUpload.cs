using Strata.S3.Errors;
using Strata.S3.Streaming;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>CreateMultipartUpload and AbortMultipartUpload.</summary>
public static class CreateMultipartUpload
{
    /// <summary>The upload header that carries the tags (URL-encoded); never stored on the object.</summary>
    public const string TaggingHeader = "x-amz-tagging";

    public static async Task CreateMultipartUploadAsync(S3Request r)
    {
        var key = r.RequiredKey;
        PutObject.ValidateKey(key);
        var bucket = r.WritableBucket;
        await CannedAcl.CheckObjectAsync(r, bucket.Repo).ConfigureAwait(false);
        var (alg, type) = ChecksumSettings(r);
        var headers = ObjectHeaders.FromRequest(r.Http.Request);
        var tags = Tags.FromHeader(r.Header("x-amz-tagging"));
        // The upload keeps the tags with its headers until CompleteMultipartUpload gives them to the new version.
        if (tags.Count > 0) headers.Add(new(TaggingHeader, Strata.Core.TagSet.Encode(tags)));
        var u = await r.Store.Uploads.CreateAsync(bucket, key, headers, alg is { } a ? ChecksumAlgorithms.Name(a) : null, type, r.Ct).ConfigureAwait(false);
        if (u.ChecksumAlgorithm is not null)
        {
            r.Response.Headers["x-amz-checksum-algorithm"] = u.ChecksumAlgorithm;
            r.Response.Headers["x-amz-checksum-type"] = u.ChecksumType;
        }
        await XmlOut.WriteAsync(r.Response, "InitiateMultipartUploadResult", w =>
        {
            w.El("Bucket", r.BucketName);
            w.El("Key", key);
            w.El("UploadId", u.Id);
        }, r.Ct).ConfigureAwait(false);
    }

    /// <summary>
    /// x-amz-checksum-algorithm and x-amz-checksum-type as S3 allows them: CRCs may be
    /// COMPOSITE or FULL_OBJECT (CRC64NVME only FULL_OBJECT), SHA-1/SHA-256 only COMPOSITE.
    /// </summary>
    private static (ChecksumAlgorithm? Alg, string? Type) ChecksumSettings(S3Request r)
    {
        var algText = r.Header("x-amz-checksum-algorithm");
        var type = r.Header("x-amz-checksum-type")?.ToUpperInvariant();
        if (algText is null)
        {
            if (type is not null) throw new S3Exception(S3ErrorCode.InvalidRequest, "x-amz-checksum-type needs x-amz-checksum-algorithm");
            return (null, null);
        }
        var alg = ChecksumAlgorithms.Parse(algText) ?? throw new S3Exception(S3ErrorCode.InvalidRequest, $"unknown checksum algorithm {algText}");
        type ??= alg == ChecksumAlgorithm.CRC64NVME ? "FULL_OBJECT" : "COMPOSITE";
        var ok = type switch
        {
            "FULL_OBJECT" => CrcCombine.Supports(alg),
            "COMPOSITE" => alg != ChecksumAlgorithm.CRC64NVME,
            _ => false,
        };
        if (!ok) throw new S3Exception(S3ErrorCode.InvalidRequest, $"checksum type {type} is not available for {alg}");
        return (alg, type);
    }

    public static async Task AbortMultipartUploadAsync(S3Request r)
    {
        var u = await r.Store.Uploads.GetAsync(r.WritableBucket, r.RequiredKey, r.Query("uploadId")!, r.Ct).ConfigureAwait(false);
        await r.Store.Uploads.AbortAsync(u.Id, r.Ct).ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }
}
