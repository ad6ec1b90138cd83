using Microsoft.Extensions.Logging;
using Strata.Core;
using Strata.Core.Maintenance;

namespace Strata.Server.Telemetry;

/// <summary>
/// Values for the store gauges, read from the metadata store when /metrics is scraped: a gauge
/// callback must not wait on a database, and reading the shared store gives every node the
/// cluster's values (uploads in progress everywhere, the last collection whichever node ran it).
/// </summary>
public sealed class StoreGauges(VersionedStore store, ILogger<StoreGauges> log)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public long OpenUploads { get; private set; }
    public long LastGcFreedBytes { get; private set; }
    public long LastGcChunksDeleted { get; private set; }
    public double LastGcSeconds { get; private set; }
    public long LastGcFinishedUnix { get; private set; }

    /// <summary>Reads the values; on failure the previous ones stay (a scrape must still answer).</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            OpenUploads = await store.Meta.CountUploadsAsync(timeout.Token).ConfigureAwait(false);
            if (await GarbageCollector.LastResultAsync(store.Meta, timeout.Token).ConfigureAwait(false) is { } gc)
            {
                LastGcFreedBytes = gc.ChunkBytesFreed + gc.NodeBytesFreed;
                LastGcChunksDeleted = gc.ChunksDeleted;
                LastGcSeconds = gc.Seconds;
                LastGcFinishedUnix = gc.Finished.ToUnixTimeSeconds();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning("reading the store gauges for /metrics failed: {Error}", e.Message);
        }
    }
}
