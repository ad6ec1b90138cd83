using Strata.S3.Routing;

namespace Strata.S3.Tests;

public class RouterTests
{
    private static S3Operation Route(string method, string? bucket, string? key, string query = "", bool copy = false)
    {
        var names = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')[0]).ToHashSet();
        return S3Router.Route(method, bucket, key, names.Contains, copy);
    }

    [Theory]
    [InlineData("GET", null, null, "", S3Operation.ListBuckets)]
    [InlineData("PUT", "b", null, "", S3Operation.CreateBucket)]
    [InlineData("DELETE", "b", null, "", S3Operation.DeleteBucket)]
    [InlineData("HEAD", "b", null, "", S3Operation.HeadBucket)]
    [InlineData("GET", "b", null, "location", S3Operation.GetBucketLocation)]
    [InlineData("GET", "b", null, "versioning", S3Operation.GetBucketVersioning)]
    [InlineData("PUT", "b", null, "versioning", S3Operation.PutBucketVersioning)]
    [InlineData("GET", "b", null, "", S3Operation.ListObjects)]
    [InlineData("GET", "b", null, "list-type=2&prefix=a", S3Operation.ListObjectsV2)]
    [InlineData("GET", "b", null, "versions", S3Operation.ListObjectVersions)]
    [InlineData("GET", "b", null, "uploads", S3Operation.ListMultipartUploads)]
    [InlineData("POST", "b", null, "delete", S3Operation.DeleteObjects)]
    [InlineData("POST", "b", null, "", S3Operation.PostObject)]
    [InlineData("GET", "b", null, "policy", S3Operation.GetBucketPolicy)]
    [InlineData("GET", "b", null, "requestPayment", S3Operation.GetBucketRequestPayment)]
    [InlineData("GET", "b", null, "replication", S3Operation.NotImplemented)]
    [InlineData("PUT", "b", null, "cors", S3Operation.PutBucketCors)]
    [InlineData("GET", "b", null, "cors", S3Operation.GetBucketCors)]
    [InlineData("DELETE", "b", null, "cors", S3Operation.DeleteBucketCors)]
    [InlineData("PUT", "b", null, "tagging", S3Operation.PutBucketTagging)]
    [InlineData("GET", "b", null, "tagging", S3Operation.GetBucketTagging)]
    [InlineData("DELETE", "b", null, "tagging", S3Operation.DeleteBucketTagging)]
    [InlineData("DELETE", "b", null, "policy", S3Operation.DeleteBucketSubresource)]
    [InlineData("OPTIONS", "b", null, "", S3Operation.PreflightCors)]
    [InlineData("OPTIONS", "b", "k", "", S3Operation.PreflightCors)]
    [InlineData("OPTIONS", null, null, "", S3Operation.PreflightCors)]
    [InlineData("PUT", "b", "k", "tagging", S3Operation.PutObjectTagging)]
    [InlineData("PUT", "b", "k", "tagging&versionId=v", S3Operation.PutObjectTagging)]
    [InlineData("DELETE", "b", "k", "tagging", S3Operation.DeleteObjectTagging)]
    [InlineData("GET", "b", "k", "", S3Operation.GetObject)]
    [InlineData("GET", "b", "k", "versionId=HEAD%5E", S3Operation.GetObject)]
    [InlineData("HEAD", "b", "k", "", S3Operation.HeadObject)]
    [InlineData("PUT", "b", "k", "", S3Operation.PutObject)]
    [InlineData("DELETE", "b", "k", "", S3Operation.DeleteObject)]
    [InlineData("GET", "b", "k", "acl", S3Operation.GetObjectAcl)]
    [InlineData("GET", "b", "k", "tagging", S3Operation.GetObjectTagging)]
    [InlineData("GET", "b", "k", "attributes", S3Operation.GetObjectAttributes)]
    [InlineData("POST", "b", "k", "uploads", S3Operation.CreateMultipartUpload)]
    [InlineData("PUT", "b", "k", "partNumber=1&uploadId=u", S3Operation.UploadPart)]
    [InlineData("POST", "b", "k", "uploadId=u", S3Operation.CompleteMultipartUpload)]
    [InlineData("DELETE", "b", "k", "uploadId=u", S3Operation.AbortMultipartUpload)]
    [InlineData("GET", "b", "k", "uploadId=u", S3Operation.ListParts)]
    [InlineData("GET", "b", "k", "retention", S3Operation.NotImplemented)]
    [InlineData("PATCH", "b", "k", "", S3Operation.MethodNotAllowed)]
    [InlineData("POST", null, null, "", S3Operation.MethodNotAllowed)]
    public void Routes(string method, string? bucket, string? key, string query, S3Operation expected) =>
        Assert.Equal(expected, Route(method, bucket, key, query));

    [Fact]
    public void CopySourceHeaderMakesCopies()
    {
        Assert.Equal(S3Operation.CopyObject, Route("PUT", "b", "k", "", copy: true));
        Assert.Equal(S3Operation.UploadPartCopy, Route("PUT", "b", "k", "partNumber=2&uploadId=u", copy: true));
    }
}
