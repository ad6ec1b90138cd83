using Microsoft.Extensions.Logging;

namespace Strata.Server.Telemetry;

/// <summary>The access log: one line per request (source-generated, so a disabled log costs a level check).</summary>
internal static partial class RequestLog
{
    public const string Category = "Strata.Access";

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "{RequestId} {Method} {Operation} bucket={Bucket} key={Key} status={Status} in={BytesIn} out={BytesOut} {DurationMs}ms")]
    public static partial void Completed(ILogger log, string requestId, string method, string operation, string? bucket, string? key,
        int status, long bytesIn, long bytesOut, double durationMs);
}
