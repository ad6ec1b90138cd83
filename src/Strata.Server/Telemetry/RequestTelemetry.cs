using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.S3;

namespace Strata.Server.Telemetry;

/// <summary>
/// Middleware on both ports: counts body bytes, times the answer's first byte and its end, then
/// writes the access-log line and, for S3 requests, the request metrics. The S3 gateway says what
/// the request was (operation, bucket, key, request id) through <see cref="S3RequestInfo"/>.
/// </summary>
public sealed class RequestTelemetry(RequestDelegate next, ILoggerFactory logs)
{
    private readonly ILogger _log = logs.CreateLogger(RequestLog.Category);

    public async Task InvokeAsync(HttpContext ctx)
    {
        var start = Stopwatch.GetTimestamp();
        var firstByte = 0L;
        var body = new CountingStream(ctx.Request.Body);
        var answer = new CountingStream(ctx.Response.Body);
        ctx.Request.Body = body;
        ctx.Response.Body = answer;
        string? ownId = null; // admin API and console requests: the gateway gives S3 requests theirs
        ctx.Response.OnStarting(() =>
        {
            firstByte = Stopwatch.GetTimestamp();
            if (ctx.Features.Get<S3RequestInfo>() is null) ctx.Response.Headers["x-request-id"] = ownId ??= NewId();
            return Task.CompletedTask;
        });
        try
        {
            await next(ctx).ConfigureAwait(false);
        }
        finally
        {
            var total = Stopwatch.GetElapsedTime(start);
            var s3 = ctx.Features.Get<S3RequestInfo>();
            var status = ctx.RequestAborted.IsCancellationRequested && !ctx.Response.HasStarted ? 499 : ctx.Response.StatusCode;
            if (s3 is not null)
            {
                var op = new KeyValuePair<string, object?>("operation", s3.Operation?.ToString() ?? "Unrouted");
                ServerMetrics.Requests.Add(1, op, new KeyValuePair<string, object?>("status", status));
                ServerMetrics.RequestDuration.Record(total.TotalSeconds, op);
                if (firstByte != 0) ServerMetrics.TimeToFirstByte.Record(Stopwatch.GetElapsedTime(start, firstByte).TotalSeconds, op);
                if (body.Count > 0) ServerMetrics.BytesReceived.Add(body.Count, op);
                if (answer.Count > 0) ServerMetrics.BytesSent.Add(answer.Count, op);
            }
            if (_log.IsEnabled(LogLevel.Information))
            {
                var id = s3?.RequestId ?? (ownId ??= NewId());
                RequestLog.Completed(_log, id, ctx.Request.Method, s3 is null ? "HTTP " + ctx.Request.Path : s3.Operation?.ToString() ?? "Unrouted",
                    s3?.Bucket, s3?.Key, status, body.Count, answer.Count, Math.Round(total.TotalMilliseconds, 1));
            }
        }
    }

    private static string NewId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
}
