using Microsoft.AspNetCore.Http;
using Strata.Core;

namespace Strata.Server;

/// <summary>
/// /healthz (the process answers) and /readyz (the metadata and chunk stores answer too), on both
/// ports and without credentials, for load balancers and orchestrators. No bucket can shadow them:
/// bucket names always hold a dot.
/// </summary>
public static class Health
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public static async Task InvokeAsync(HttpContext ctx, Func<Task> next, VersionedStore store)
    {
        var path = ctx.Request.Path.Value;
        if (path is not ("/healthz" or "/readyz") || !(HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method)))
        {
            await next().ConfigureAwait(false);
            return;
        }
        ctx.Response.Headers.CacheControl = "no-store";
        if (path == "/healthz")
        {
            await Results.Json(new { status = "ok" }).ExecuteAsync(ctx).ConfigureAwait(false);
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        timeout.CancelAfter(ProbeTimeout);
        var metadata = await ProbeAsync(() => store.Meta.GetSettingAsync("readyz-probe", timeout.Token)).ConfigureAwait(false);
        var chunks = await ProbeAsync(() => store.Chunks.ProbeAsync(timeout.Token)).ConfigureAwait(false);
        var ready = metadata == "ok" && chunks == "ok";
        await Results.Json(new { status = ready ? "ready" : "unavailable", metadata, chunks }, statusCode: ready ? 200 : 503)
            .ExecuteAsync(ctx).ConfigureAwait(false);
    }

    private static async Task<string> ProbeAsync(Func<Task> probe)
    {
        try
        {
            await probe().ConfigureAwait(false);
            return "ok";
        }
        catch (Exception e)
        {
            return e is OperationCanceledException ? "timed out" : e.Message.Split('\n')[0];
        }
    }
}
