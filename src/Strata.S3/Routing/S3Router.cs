namespace Strata.S3.Routing;

/// <summary>
/// Maps method, path shape (service / bucket / object) and subresource query parameters to an
/// operation. Unknown subresources are NotImplemented rather than silently treated as plain
/// object or listing requests, so a client never mistakes an ignored feature for success.
/// </summary>
public static class S3Router
{
    private static readonly HashSet<string> UnsupportedSubresources = new(StringComparer.Ordinal)
    {
        "accelerate", "analytics", "inventory", "metrics", "notification", "ownershipControls", "policyStatus",
        "publicAccessBlock", "replication", "intelligent-tiering", "attributes", "retention", "legal-hold",
        "restore", "select", "torrent", "object-lock", "website", "logging", "encryption", "cors", "lifecycle",
        "policy", "tagging", "requestPayment", "acl", "versioning", "location", "uploads", "uploadId", "versions",
        "delete",
    };

    public static S3Operation Route(string method, string? bucket, string? key, Func<string, bool> has, bool hasCopySource)
    {
        if (bucket is null)
            return method is "GET" or "HEAD" ? S3Operation.ListBuckets : method == "OPTIONS" ? S3Operation.PreflightCors : S3Operation.MethodNotAllowed;
        return key is null ? RouteBucket(method, has) : RouteObject(method, has, hasCopySource);
    }

    private static S3Operation RouteBucket(string method, Func<string, bool> has) => method switch
    {
        "HEAD" => S3Operation.HeadBucket,
        "GET" => has("location") ? S3Operation.GetBucketLocation
            : has("versioning") ? S3Operation.GetBucketVersioning
            : has("acl") ? S3Operation.GetBucketAcl
            : has("policy") ? S3Operation.GetBucketPolicy
            : has("cors") ? S3Operation.GetBucketCors
            : has("lifecycle") ? S3Operation.GetBucketLifecycle
            : has("encryption") ? S3Operation.GetBucketEncryption
            : has("tagging") ? S3Operation.GetBucketTagging
            : has("requestPayment") ? S3Operation.GetBucketRequestPayment
            : has("logging") ? S3Operation.GetBucketLogging
            : has("website") ? S3Operation.GetBucketWebsite
            : has("object-lock") ? S3Operation.GetObjectLockConfiguration
            : has("uploads") ? S3Operation.ListMultipartUploads
            : has("versions") ? S3Operation.ListObjectVersions
            : AnyUnsupported(has) ? S3Operation.NotImplemented
            : has("list-type") ? S3Operation.ListObjectsV2
            : S3Operation.ListObjects,
        "PUT" => has("versioning") ? S3Operation.PutBucketVersioning
            : has("acl") ? S3Operation.PutBucketAcl
            : has("cors") ? S3Operation.PutBucketCors
            : has("tagging") ? S3Operation.PutBucketTagging
            : AnyUnsupported(has) ? S3Operation.NotImplemented
            : S3Operation.CreateBucket,
        "DELETE" => has("cors") ? S3Operation.DeleteBucketCors
            : has("tagging") ? S3Operation.DeleteBucketTagging
            : has("policy") || has("lifecycle") || has("encryption") || has("website")
            ? S3Operation.DeleteBucketSubresource
            : AnyUnsupported(has) ? S3Operation.NotImplemented
            : S3Operation.DeleteBucket,
        // A POST to the bucket itself is a browser upload (PostObject); its form is checked there.
        "POST" => has("delete") ? S3Operation.DeleteObjects
            : AnyUnsupported(has) ? S3Operation.NotImplemented
            : S3Operation.PostObject,
        "OPTIONS" => S3Operation.PreflightCors,
        _ => S3Operation.MethodNotAllowed,
    };

    private static S3Operation RouteObject(string method, Func<string, bool> has, bool hasCopySource) => method switch
    {
        "HEAD" => S3Operation.HeadObject,
        "GET" => has("acl") ? S3Operation.GetObjectAcl
            : has("tagging") ? S3Operation.GetObjectTagging
            : has("attributes") ? S3Operation.GetObjectAttributes
            : has("uploadId") ? S3Operation.ListParts
            : AnyUnsupported(has) ? S3Operation.NotImplemented
            : S3Operation.GetObject,
        "PUT" => has("acl") ? S3Operation.PutObjectAcl
            : has("tagging") ? S3Operation.PutObjectTagging
            : has("uploadId") && has("partNumber") ? (hasCopySource ? S3Operation.UploadPartCopy : S3Operation.UploadPart)
            : AnyUnsupported(has) ? S3Operation.NotImplemented
            : hasCopySource ? S3Operation.CopyObject
            : S3Operation.PutObject,
        "DELETE" => has("uploadId") ? S3Operation.AbortMultipartUpload
            : has("tagging") ? S3Operation.DeleteObjectTagging
            : AnyUnsupported(has) ? S3Operation.NotImplemented
            : S3Operation.DeleteObject,
        "POST" => has("uploads") ? S3Operation.CreateMultipartUpload
            : has("uploadId") ? S3Operation.CompleteMultipartUpload
            : S3Operation.NotImplemented,
        "OPTIONS" => S3Operation.PreflightCors,
        _ => S3Operation.MethodNotAllowed,
    };

    private static bool AnyUnsupported(Func<string, bool> has)
    {
        foreach (var s in UnsupportedSubresources)
            if (has(s)) return true;
        return false;
    }
}
