using System.Diagnostics;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Server.Telemetry;

/// <summary>A chunk store that times every call into strata.chunk_store.duration, by operation.</summary>
public sealed class MeteredChunkStore(IChunkStore inner) : DelegatingChunkStore(inner), IDisposable
{
    // The call starts inside the timer: a file store does its work before it returns the task.
    private static async Task<T> Time<T>(string op, Func<Task<T>> call)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await call().ConfigureAwait(false);
        }
        finally
        {
            Record(op, start);
        }
    }

    private static async Task Time(string op, Func<Task> call)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await call().ConfigureAwait(false);
        }
        finally
        {
            Record(op, start);
        }
    }

    private static void Record(string op, long start) =>
        ServerMetrics.ChunkStoreDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, new KeyValuePair<string, object?>("operation", op));

    public override Task<ChunkStat?> StatAsync(Hash id, CancellationToken ct) => Time("stat", () => Inner.StatAsync(id, ct));
    public override Task<bool> ExistsAsync(Hash id, CancellationToken ct) => Time("stat", () => Inner.ExistsAsync(id, ct));
    public override Task ProbeAsync(CancellationToken ct) => Time("probe", () => Inner.ProbeAsync(ct));
    public override Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct) => Time("put", () => Inner.PutAsync(id, data, ct));
    public override Task PutAsync(Hash id, IReadOnlyList<ReadOnlyMemory<byte>> pieces, CancellationToken ct) => Time("put", () => Inner.PutAsync(id, pieces, ct));
    public override Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct) => Time("open", () => Inner.OpenAsync(id, offset, ct));
    public override Task<Stream> OpenAsync(ChunkRef chunk, long offset, CancellationToken ct) => Time("open", () => Inner.OpenAsync(chunk, offset, ct));
    public override Task<bool> TouchAsync(Hash id, CancellationToken ct) => Time("touch", () => Inner.TouchAsync(id, ct));
    public override Task DeleteAsync(IReadOnlyList<Hash> ids, CancellationToken ct) => Time("delete", () => Inner.DeleteAsync(ids, ct));

    public void Dispose() => (Inner as IDisposable)?.Dispose();
}
