namespace Strata.S3.Errors;

/// <summary>The one table from S3 error code to HTTP status and default message.</summary>
public static class S3ErrorTable
{
    private static readonly Dictionary<S3ErrorCode, (int Status, string Message)> Table = new()
    {
        [S3ErrorCode.AccessForbidden] = (403, "CORSResponse: This CORS request is not allowed."),
        [S3ErrorCode.AccessDenied] = (403, "Access Denied"),
        [S3ErrorCode.AuthorizationHeaderMalformed] = (400, "The authorization header is malformed."),
        [S3ErrorCode.AuthorizationQueryParametersError] = (400, "Error parsing the X-Amz-Credential parameter."),
        [S3ErrorCode.BadDigest] = (400, "The Content-MD5 or checksum you specified did not match what we received."),
        [S3ErrorCode.BucketAlreadyExists] = (409, "The requested bucket name is not available."),
        [S3ErrorCode.BucketAlreadyOwnedByYou] = (409, "Your previous request to create the named bucket succeeded and you already own it."),
        [S3ErrorCode.BucketNotEmpty] = (409, "The bucket you tried to delete is not empty."),
        [S3ErrorCode.EntityTooLarge] = (400, "Your proposed upload exceeds the maximum allowed size."),
        [S3ErrorCode.EntityTooSmall] = (400, "Your proposed upload is smaller than the minimum allowed object size."),
        [S3ErrorCode.IncompleteBody] = (400, "You did not provide the number of bytes specified by the Content-Length HTTP header."),
        [S3ErrorCode.InternalError] = (500, "We encountered an internal error. Please try again."),
        [S3ErrorCode.InvalidAccessKeyId] = (403, "The AWS Access Key Id you provided does not exist in our records."),
        [S3ErrorCode.InvalidArgument] = (400, "Invalid Argument"),
        [S3ErrorCode.InvalidBucketName] = (400, "The specified bucket is not valid."),
        [S3ErrorCode.InvalidDigest] = (400, "The Content-MD5 or checksum you specified is not valid."),
        [S3ErrorCode.InvalidPart] = (400, "One or more of the specified parts could not be found."),
        [S3ErrorCode.InvalidPartOrder] = (400, "The list of parts was not in ascending order."),
        [S3ErrorCode.InvalidRange] = (416, "The requested range is not satisfiable"),
        [S3ErrorCode.InvalidRequest] = (400, "Invalid Request"),
        [S3ErrorCode.InvalidStorageClass] = (400, "The storage class you specified is not valid"),
        [S3ErrorCode.InvalidURI] = (400, "Couldn't parse the specified URI."),
        [S3ErrorCode.KeyTooLongError] = (400, "Your key is too long"),
        [S3ErrorCode.MetadataTooLarge] = (400, "Your metadata headers exceed the maximum allowed metadata size."),
        [S3ErrorCode.MalformedXML] = (400, "The XML you provided was not well-formed or did not validate against our published schema."),
        [S3ErrorCode.MethodNotAllowed] = (405, "The specified method is not allowed against this resource."),
        [S3ErrorCode.MissingContentLength] = (411, "You must provide the Content-Length HTTP header."),
        [S3ErrorCode.NoSuchBucket] = (404, "The specified bucket does not exist."),
        [S3ErrorCode.NoSuchBucketPolicy] = (404, "The bucket policy does not exist"),
        [S3ErrorCode.NoSuchCORSConfiguration] = (404, "The CORS configuration does not exist"),
        [S3ErrorCode.NoSuchKey] = (404, "The specified key does not exist."),
        [S3ErrorCode.NoSuchLifecycleConfiguration] = (404, "The lifecycle configuration does not exist"),
        [S3ErrorCode.NoSuchUpload] = (404, "The specified upload does not exist."),
        [S3ErrorCode.NoSuchVersion] = (404, "The specified version does not exist."),
        [S3ErrorCode.NoSuchTagSet] = (404, "There is no tag set associated with the bucket."),
        [S3ErrorCode.NoSuchWebsiteConfiguration] = (404, "The specified bucket does not have a website configuration"),
        [S3ErrorCode.ObjectLockConfigurationNotFoundError] = (404, "Object Lock configuration does not exist for this bucket"),
        [S3ErrorCode.NotImplemented] = (501, "A header or query you provided implies functionality that is not implemented."),
        [S3ErrorCode.NotModified] = (304, "Not Modified"),
        [S3ErrorCode.OperationAborted] = (409, "A conflicting conditional operation is currently in progress against this resource. Please try again."),
        [S3ErrorCode.PreconditionFailed] = (412, "At least one of the preconditions you specified did not hold."),
        [S3ErrorCode.RequestHeaderSectionTooLarge] = (400, "Your request header section exceeds the maximum allowed size."),
        [S3ErrorCode.RequestTimeout] = (400, "Your socket connection to the server was not read from or written to within the timeout period."),
        [S3ErrorCode.RequestTimeTooSkewed] = (403, "The difference between the request time and the current time is too large."),
        [S3ErrorCode.ServerSideEncryptionConfigurationNotFoundError] = (404, "The server side encryption configuration was not found"),
        [S3ErrorCode.ServiceUnavailable] = (503, "Please reduce your request rate."),
        [S3ErrorCode.SignatureDoesNotMatch] = (403, "The request signature we calculated does not match the signature you provided."),
        [S3ErrorCode.XAmzContentSHA256Mismatch] = (400, "The provided 'x-amz-content-sha256' header does not match what was computed."),
    };

    public static (int Status, string Message) Lookup(S3ErrorCode code) => Table[code];
}
