using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Core;
using Strata.Core.Maintenance;

namespace Strata.Server;

/// <summary>Runs garbage collection and fsck for the admin API and the periodic schedule, with this node's settings.</summary>
public sealed class StoreMaintenance(VersionedStore store, ServerOptions options, string dataDir)
{
    private string SpillDirectory => Path.Combine(dataDir, "maintenance-tmp");

    public async Task<GcResult> CollectAsync(TimeSpan? grace, IProgress<GcProgress>? progress, CancellationToken ct)
    {
        var outcome = "error";
        try
        {
            var result = await new GarbageCollector(store.Meta, store.Chunks, SpillDirectory)
            {
                Grace = grace ?? options.GcGrace, Progress = progress, CutoffPublished = store.RefreshCutoffAsync, Checkpoint = TestPause(),
            }.RunAsync(ct).ConfigureAwait(false);
            outcome = result.Error is null ? "ok" : "error";
            return result;
        }
        catch (StrataException e) when (e.Error == StoreError.GcRunning)
        {
            outcome = "busy";
            throw;
        }
        finally
        {
            Telemetry.ServerMetrics.GcRuns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    // STRATA_TEST_GC_PAUSE=phase:seconds holds a run at that phase: the crash tests kill the process there.
    private static Func<string, CancellationToken, Task>? TestPause()
    {
        if (Environment.GetEnvironmentVariable("STRATA_TEST_GC_PAUSE") is not { } spec || spec.Split(':') is not [var phase, var seconds]) return null;
        var delay = TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
        return (at, ct) => at == phase ? Task.Delay(delay, ct) : Task.CompletedTask;
    }

    public Task<FsckResult> CheckAsync(bool quick, bool repair, IProgress<GcProgress>? progress, CancellationToken ct) =>
        new Fsck(store.Meta, store.Chunks, SpillDirectory) { Quick = quick, Repair = repair, Progress = progress }.RunAsync(ct);
}

/// <summary>Collects garbage every --gc-interval. Every node may run this: the GC lease lets one run at a time.</summary>
public sealed class GcSchedule(StoreMaintenance maintenance, ServerOptions options, ILogger<GcSchedule> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (options.GcInterval is not { } every) return;
        using var timer = new PeriodicTimer(every);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            try
            {
                var r = await maintenance.CollectAsync(null, null, ct).ConfigureAwait(false);
                log.LogWarning("gc: freed {Chunks} chunks ({Bytes} bytes), {Nodes} nodes, {Commits} commits in {Seconds:0.0} s",
                    r.ChunksDeleted, r.ChunkBytesFreed, r.NodesDeleted, r.CommitsDeleted, r.Seconds);
            }
            catch (StrataException e) when (e.Error == StoreError.GcRunning)
            {
                // Another node is collecting: nothing to do this time.
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "garbage collection failed");
            }
        }
    }
}
