using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>GetBucketVersioning / PutBucketVersioning: every Strata bucket is versioned, always.</summary>
public static class BucketVersioning
{
    public static async Task GetBucketVersioningAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        await XmlOut.WriteAsync(r.Response, "VersioningConfiguration", w => w.El("Status", "Enabled"), r.Ct).ConfigureAwait(false);
    }

    public static async Task PutBucketVersioningAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        var cfg = await XmlIn.ReadAsync(r.Http.Request.Body, 64 << 10, r.Ct).ConfigureAwait(false);
        if (cfg is null || cfg.Name.LocalName != "VersioningConfiguration") throw new S3Exception(S3ErrorCode.MalformedXML);
        var status = cfg.Kid("Status")?.Value;
        switch (status)
        {
            case "Enabled":
                return;
            case "Suspended":
                throw new S3Exception(S3ErrorCode.NotImplemented,
                    "Strata keeps every commit: versioning is always Enabled and cannot be suspended");
            default:
                throw new S3Exception(S3ErrorCode.MalformedXML, "Status must be Enabled or Suspended");
        }
    }
}
