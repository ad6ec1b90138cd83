using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Core;

namespace Strata.Server;

/// <summary>Aborts multipart uploads older than the configured age (their chunks become garbage).</summary>
public sealed class UploadReaper(VersionedStore store, ServerOptions options, ILogger<UploadReaper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var every = TimeSpan.FromMinutes(Math.Clamp(options.UploadMaxAge.TotalMinutes / 10, 1, 60));
        using var timer = new PeriodicTimer(every);
        do
        {
            try
            {
                var n = await store.Uploads.AbortStaleAsync(options.UploadMaxAge, ct).ConfigureAwait(false);
                if (n > 0) log.LogWarning("aborted {Count} multipart uploads older than {Age}", n, options.UploadMaxAge);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "aborting stale uploads failed");
            }
        } while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }
}
