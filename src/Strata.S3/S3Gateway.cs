using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.Core;
using Strata.Core.Auth;
using Strata.S3.Auth;
using Strata.S3.Errors;
using Strata.S3.Operations;
using Strata.S3.Routing;
using Strata.S3.Xml;

namespace Strata.S3;

/// <summary>
/// The S3 endpoint: gives every request an id, routes it to its operation, and turns every
/// failure into an S3 XML error (never a stack trace).
/// </summary>
public sealed class S3Gateway(VersionedStore store, S3Options options, IAccessStore access, ILogger<S3Gateway> log)
{
    private readonly Authenticator _authenticator = new(access, TimeProvider.System);

    public async Task HandleAsync(HttpContext ctx)
    {
        var requestId = NewRequestId();
        ctx.Response.Headers["x-amz-request-id"] = requestId;
        ctx.Response.Headers["x-amz-id-2"] = requestId;
        ctx.Response.Headers.Server = "Strata";
        var info = new S3RequestInfo(requestId);
        ctx.Features.Set(info);
        S3Request? req = null;
        try
        {
            var (bucket, key) = S3Request.ParsePath(ctx, options.Domains);
            var virtualHosted = S3Request.VirtualHostBucket(ctx.Request.Host.Host, options.Domains) is not null;
            (info.Bucket, info.Key) = (bucket, key);
            req = new S3Request
            {
                Http = ctx, Store = store, Options = options, RequestId = requestId, BucketName = bucket, Key = key, Access = access,
            };
            req.Operation = S3Router.Route(ctx.Request.Method, bucket, key, req.Has, ctx.Request.Headers.ContainsKey("x-amz-copy-source"));
            info.Operation = req.Operation;
            RequestLimits.Check(ctx.Request, options);
            // A CORS preflight is unsigned by nature: it is answered from the bucket's rules alone.
            if (req.Operation == S3Operation.PreflightCors)
            {
                await Cors.PreflightAsync(req).ConfigureAwait(false);
                return;
            }
            if (ctx.Request.Headers.Origin.Count > 0) await Cors.AddToResponseAsync(req).ConfigureAwait(false);
            Authenticator.VerifyPayloadHash(ctx);
            // A browser POST is signed by its form, not its headers: PostObject authenticates and authorizes itself.
            if (options.AuthEnabled && req.Operation != S3Operation.PostObject)
            {
                req.Principal = await AnonymousReaderAsync(req, bucket).ConfigureAwait(false)
                    ?? await _authenticator.AuthenticateAsync(ctx, ctx.RequestAborted, virtualHosted ? bucket : null).ConfigureAwait(false);
                if (Authorizer.Required(req.Operation) is { } role && Names.ParseBucket(bucket ?? "") is { } b)
                    await Authorizer.RequireAsync(req, b.Repo, role).ConfigureAwait(false);
            }
            await DispatchAsync(req).ConfigureAwait(false);
        }
        catch (S3Exception e)
        {
            await WriteErrorAsync(ctx, req, e, requestId).ConfigureAwait(false);
        }
        catch (StrataException e) when (e.Error != StoreError.Corrupt)
        {
            await WriteErrorAsync(ctx, req, ErrorMapper.Map(e), requestId).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            var code = e.StatusCode == 408 ? S3ErrorCode.RequestTimeout : S3ErrorCode.IncompleteBody;
            await WriteErrorAsync(ctx, req, new S3Exception(code), requestId).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            log.LogError(e, "request {RequestId} {Method} {Path} failed", requestId, ctx.Request.Method, ctx.Request.Path);
            await WriteErrorAsync(ctx, req, new S3Exception(S3ErrorCode.InternalError), requestId).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A request id needs to be unique, not secret: the shared non-cryptographic generator costs far less
    /// per request than the cryptographic one (a call into OpenSSL, which showed in small-GET profiles).
    /// </summary>
    private static string NewRequestId()
    {
        Span<byte> id = stackalloc byte[8];
        Random.Shared.NextBytes(id);
        return Convert.ToHexString(id);
    }

    /// <summary>
    /// An unsigned read of a repo that grants anonymous read (public-read) is let in as the
    /// anonymous principal, and so is an unsigned ListBuckets, which lists only such repos' buckets
    /// (none where no repo is public); any other unsigned request goes on to be refused by the authenticator.
    /// </summary>
    private static async Task<Principal?> AnonymousReaderAsync(S3Request req, string? bucket)
    {
        if (Authenticator.HasCredentials(req.Http)) return null;
        if (req.Operation == S3Operation.ListBuckets) return Principal.Anonymous;
        if (!Authorizer.AnonymousMayRead(req.Operation)) return null;
        if (Names.ParseBucket(bucket ?? "") is not { } b)
            return null;
        return await req.Access!.GetRoleAsync(Principal.Everyone, b.Repo, req.Ct).ConfigureAwait(false) is not null ? Principal.Anonymous : null;
    }

    private static Task DispatchAsync(S3Request r) => r.Operation switch
    {
        S3Operation.ListBuckets => Buckets.ListBucketsAsync(r),
        S3Operation.CreateBucket => Buckets.CreateBucketAsync(r),
        S3Operation.DeleteBucket => Buckets.DeleteBucketAsync(r),
        S3Operation.HeadBucket => Buckets.HeadBucketAsync(r),
        S3Operation.GetBucketLocation => Buckets.GetBucketLocationAsync(r),
        S3Operation.GetBucketVersioning => BucketVersioning.GetBucketVersioningAsync(r),
        S3Operation.PutBucketVersioning => BucketVersioning.PutBucketVersioningAsync(r),
        S3Operation.ListObjects => ListObjects.ListObjectsV1Async(r),
        S3Operation.ListObjectsV2 => ListObjects.ListObjectsV2Async(r),
        S3Operation.ListObjectVersions => ListObjectVersions.ListObjectVersionsAsync(r),
        S3Operation.GetObject => GetObject.GetObjectAsync(r, head: false),
        S3Operation.HeadObject => GetObject.GetObjectAsync(r, head: true),
        S3Operation.PutObject => PutObject.PutObjectAsync(r),
        S3Operation.PostObject => PostObject.PostObjectAsync(r),
        S3Operation.DeleteObject => DeleteObject.DeleteObjectAsync(r),
        S3Operation.DeleteObjects => DeleteObject.DeleteObjectsAsync(r),
        S3Operation.GetObjectAttributes => GetObjectAttributes.GetObjectAttributesAsync(r),
        S3Operation.CopyObject => CopyObject.CopyObjectAsync(r),
        S3Operation.CreateMultipartUpload => CreateMultipartUpload.CreateMultipartUploadAsync(r),
        S3Operation.AbortMultipartUpload => CreateMultipartUpload.AbortMultipartUploadAsync(r),
        S3Operation.UploadPart => UploadPart.UploadPartAsync(r),
        S3Operation.UploadPartCopy => UploadPart.UploadPartCopyAsync(r),
        S3Operation.CompleteMultipartUpload => CompleteMultipartUpload.CompleteMultipartUploadAsync(r),
        S3Operation.ListParts => ListParts.ListPartsAsync(r),
        S3Operation.ListMultipartUploads => ListParts.ListMultipartUploadsAsync(r),
        S3Operation.GetBucketAcl or S3Operation.GetObjectAcl => Subresources.GetAclAsync(r),
        S3Operation.PutBucketAcl or S3Operation.PutObjectAcl => Subresources.PutAclAsync(r),
        S3Operation.GetObjectTagging => ObjectTagging.GetObjectTaggingAsync(r),
        S3Operation.PutObjectTagging => ObjectTagging.PutObjectTaggingAsync(r),
        S3Operation.DeleteObjectTagging => ObjectTagging.DeleteObjectTaggingAsync(r),
        S3Operation.GetBucketTagging => BucketTagging.GetBucketTaggingAsync(r),
        S3Operation.PutBucketTagging => BucketTagging.PutBucketTaggingAsync(r),
        S3Operation.DeleteBucketTagging => BucketTagging.DeleteBucketTaggingAsync(r),
        S3Operation.GetBucketCors => BucketCors.GetBucketCorsAsync(r),
        S3Operation.PutBucketCors => BucketCors.PutBucketCorsAsync(r),
        S3Operation.DeleteBucketCors => BucketCors.DeleteBucketCorsAsync(r),
        S3Operation.GetBucketRequestPayment => Subresources.GetBucketRequestPaymentAsync(r),
        S3Operation.GetBucketLogging => Subresources.GetBucketLoggingAsync(r),
        S3Operation.GetBucketPolicy or S3Operation.GetBucketLifecycle or S3Operation.GetBucketEncryption
            or S3Operation.GetBucketWebsite or S3Operation.GetObjectLockConfiguration
            => Subresources.GetAbsentConfigurationAsync(r),
        S3Operation.DeleteBucketSubresource => Subresources.DeleteBucketSubresourceAsync(r),
        S3Operation.MethodNotAllowed => throw new S3Exception(S3ErrorCode.MethodNotAllowed),
        _ => throw new S3Exception(S3ErrorCode.NotImplemented, $"{r.Operation} is not implemented by Strata yet"),
    };

    private async Task WriteErrorAsync(HttpContext ctx, S3Request? req, S3Exception e, string requestId)
    {
        if (e.Code == S3ErrorCode.InternalError) log.LogWarning("request {RequestId}: internal error", requestId);
        if (ctx.Response.HasStarted)
        {
            // Headers are gone: the only honest signal left is to cut the connection.
            ctx.Abort();
            return;
        }
        var close = !await DiscardBodyAsync(ctx).ConfigureAwait(false);
        ctx.Response.Clear();
        if (close) ctx.Response.Headers.Connection = "close";
        ctx.Response.Headers["x-amz-request-id"] = requestId;
        ctx.Response.Headers["x-amz-id-2"] = requestId;
        foreach (var (k, v) in e.Headers) ctx.Response.Headers[k] = v;
        Cors.Apply(ctx); // S3 sends the CORS headers with errors too, so a page can read why it failed
        ctx.Response.StatusCode = e.Status;
        if (e.Status == 304 || HttpMethods.IsHead(ctx.Request.Method)) return;
        var resource = req?.Key is { } key ? $"/{req.BucketName}/{key}" : req?.BucketName is { } b ? $"/{b}" : "/";
        await XmlOut.WriteAsync(ctx.Response, "Error", w =>
        {
            w.El("Code", e.Code.ToString());
            w.El("Message", e.Message);
            w.El("BucketName", req?.BucketName);
            w.El("Key", req?.Key);
            w.El("Resource", resource);
            w.El("RequestId", requestId);
        }, CancellationToken.None, e.Status, ns: null).ConfigureAwait(false);
    }

    /// <summary>
    /// An early error leaves the request body unread. A client that sent it anyway (after
    /// Expect: 100-continue timed out) would have it parsed as the next request on the
    /// connection, so a small body is read and dropped; for a large one the connection is closed.
    /// </summary>
    /// <returns>false when the connection must be closed.</returns>
    private static async Task<bool> DiscardBodyAsync(HttpContext ctx)
    {
        try
        {
            if (ctx.Request.ContentLength is > 0 and <= 1 << 20)
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
                cts.CancelAfter(TimeSpan.FromSeconds(5));
                var buf = new byte[16384];
                while (await ctx.Request.Body.ReadAsync(buf, cts.Token).ConfigureAwait(false) > 0) { }
                return true;
            }
            return !(ctx.Request.ContentLength > 0 || ctx.Request.Headers.TransferEncoding.Count > 0);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException or S3Exception or InvalidOperationException)
        {
            return false;
        }
    }
}
