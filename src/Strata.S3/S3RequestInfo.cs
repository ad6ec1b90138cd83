using Strata.S3.Routing;

namespace Strata.S3;

/// <summary>
/// What the gateway learned about a request, left in the HttpContext's features for the host's
/// access log and metrics (which know HTTP, not S3).
/// </summary>
public sealed class S3RequestInfo(string requestId)
{
    public string RequestId { get; } = requestId;
    /// <summary>Null when the request was refused before it was routed (a path that does not parse).</summary>
    public S3Operation? Operation { get; set; }
    public string? Bucket { get; set; }
    public string? Key { get; set; }
}
