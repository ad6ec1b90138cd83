using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core;
using Strata.Core.Maintenance;

namespace Strata.Server.Admin;

/// <summary>
/// POST /api/gc and POST /api/fsck run a collection or a check and answer its result; with
/// <c>?progress=true</c> the answer is NDJSON: progress lines ({"phase","done"}) while it runs,
/// then {"result": ...}. GET answers the last result (and the run in progress, for gc).
/// </summary>
internal static class MaintenanceApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(RouteGroupBuilder api, VersionedStore store, StoreMaintenance maintenance)
    {
        api.MapPost("/gc", async (HttpContext http, double? graceSeconds, bool? progress, CancellationToken ct) =>
        {
            var grace = graceSeconds is { } g ? TimeSpan.FromSeconds(g) : (TimeSpan?)null;
            return await RunAsync(http, progress == true, p => maintenance.CollectAsync(grace, p, ct), ct);
        });
        api.MapGet("/gc", async (CancellationToken ct) => Results.Json(new
        {
            last = await GarbageCollector.LastResultAsync(store.Meta, ct),
            running = await GarbageCollector.CurrentRunAsync(store.Meta, ct),
        }, Json));
        api.MapPost("/fsck", async (HttpContext http, bool? quick, bool? repair, bool? progress, CancellationToken ct) =>
            await RunAsync(http, progress == true, p => maintenance.CheckAsync(quick == true, repair == true, p, ct), ct));
        api.MapGet("/fsck", async (CancellationToken ct) => Results.Json(new { last = await Fsck.LastResultAsync(store.Meta, ct) }, Json));

        // History retention: the policy, and each branch's floor (the lowest height still in its history).
        api.MapGet("/repos/{repo}/retention", async (string repo, CancellationToken ct) => await RetentionJsonAsync(store, repo, ct));
        api.MapPut("/repos/{repo}/retention", async (string repo, RetentionPolicy body, CancellationToken ct) =>
        {
            if (!await store.Meta.RepoExistsAsync(repo, ct)) return Results.Json(new { error = "NoSuchRepo", message = $"repo {repo} does not exist" }, Json, statusCode: 404);
            await store.Retention.SetAsync(repo, body, ct);
            await store.Retention.ApplyAsync(repo, ct);
            return await RetentionJsonAsync(store, repo, ct);
        });
    }

    private static async Task<IResult> RetentionJsonAsync(VersionedStore store, string repo, CancellationToken ct)
    {
        var policy = await store.Retention.GetAsync(repo, ct);
        var branches = (await store.ListBranchesAsync(ct)).Where(b => b.Repo == repo).Select(b => new { name = b.Name, floor = Math.Max(1, b.Floor) });
        return Results.Json(new { repo, keepLast = policy?.KeepLast, keepDays = policy?.KeepDays, branches }, Json);
    }

    private static async Task<IResult> RunAsync<T>(HttpContext http, bool stream, Func<IProgress<GcProgress>?, Task<T>> run, CancellationToken ct)
    {
        if (!stream) return Results.Json(await run(null), Json);
        http.Response.ContentType = "application/x-ndjson";
        var lines = new Progress(http.Response, ct);
        try
        {
            var result = await run(lines);
            await lines.WriteAsync(new { result });
        }
        catch (StrataException e)
        {
            // The status line is sent already: the error goes in the stream.
            await lines.WriteAsync(new { error = e.Error.ToString(), message = e.Message });
        }
        return Results.Empty;
    }

    /// <summary>Writes at most a few progress lines a second, in order, without blocking the run.</summary>
    private sealed class Progress(HttpResponse response, CancellationToken ct) : IProgress<GcProgress>
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private long _lastTicks;

        public void Report(GcProgress value)
        {
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _lastTicks) < 250) return;
            Interlocked.Exchange(ref _lastTicks, now);
            _ = WriteAsync(new { phase = value.Phase, done = value.Done, total = value.Total });
        }

        public async Task WriteAsync(object line)
        {
            await _gate.WaitAsync(ct);
            try
            {
                await response.WriteAsync(JsonSerializer.Serialize(line, Json) + "\n", ct);
                await response.Body.FlushAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The client went away; the run goes on and records its result.
            }
            finally
            {
                _gate.Release();
            }
        }
    }
}
