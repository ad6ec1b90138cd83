using Microsoft.AspNetCore.Http;
using Strata.S3.Errors;

namespace Strata.S3;

/// <summary>
/// S3's limits on the request head, checked before anything else so that the answer is an S3
/// error. The host lets Kestrel accept a generous margin beyond them (past that margin Kestrel
/// itself answers 431 without a body, as it must: no request reaches the application).
/// </summary>
public static class RequestLimits
{
    public static void Check(HttpRequest req, S3Options o)
    {
        var count = 0;
        long bytes = 0, metadata = 0;
        foreach (var (name, values) in req.Headers)
            foreach (var v in values)
            {
                count++;
                bytes += name.Length + (v?.Length ?? 0) + 4; // "name: value\r\n", as the wire counts it
                if (name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
                    metadata += name.Length - "x-amz-meta-".Length + System.Text.Encoding.UTF8.GetByteCount(v ?? "");
            }
        // The more precise answer first: oversized metadata usually makes the whole head oversized too.
        if (metadata > o.MaxMetadataBytes)
            throw new S3Exception(S3ErrorCode.MetadataTooLarge, $"Your metadata headers are {metadata} bytes; the limit is {o.MaxMetadataBytes}.");
        if (count > o.MaxHeaderCount)
            throw new S3Exception(S3ErrorCode.RequestHeaderSectionTooLarge, $"Your request has {count} headers; the limit is {o.MaxHeaderCount}.");
        if (bytes > o.MaxHeaderBytes)
            throw new S3Exception(S3ErrorCode.RequestHeaderSectionTooLarge, $"Your request headers are {bytes} bytes; the limit is {o.MaxHeaderBytes}.");
    }
}
