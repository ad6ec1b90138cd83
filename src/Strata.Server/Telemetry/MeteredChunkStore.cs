using System.Diagnostics;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Server.Telemetry;

/// <summary>A chunk store that times every call into strata.chunk_store.duration, by operation.</summary>
public sealed class MeteredChunkStore(IChunkStore inner) : IChunkStore, ILeftovers, IDisposable
{
    public IChunkStore Inner => inner;

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

    public Task<ChunkStat?> StatAsync(Hash id, CancellationToken ct) => Time("stat", () => inner.StatAsync(id, ct));
    public Task<bool> ExistsAsync(Hash id, CancellationToken ct) => Time("stat", () => inner.ExistsAsync(id, ct));
    public Task ProbeAsync(CancellationToken ct) => Time("probe", () => inner.ProbeAsync(ct));
    public Task PutAsync(Hash id, ReadOnlyMemory<byte> data, CancellationToken ct) => Time("put", () => inner.PutAsync(id, data, ct));
    public Task PutAsync(Hash id, IReadOnlyList<ReadOnlyMemory<byte>> pieces, CancellationToken ct) => Time("put", () => inner.PutAsync(id, pieces, ct));
    public Task<Stream> OpenAsync(Hash id, long offset, CancellationToken ct) => Time("open", () => inner.OpenAsync(id, offset, ct));
    public Task<bool> TouchAsync(Hash id, CancellationToken ct) => Time("touch", () => inner.TouchAsync(id, ct));
    public IAsyncEnumerable<ChunkStat> ListAsync(CancellationToken ct) => inner.ListAsync(ct);
    public Task DeleteAsync(IReadOnlyList<Hash> ids, CancellationToken ct) => Time("delete", () => inner.DeleteAsync(ids, ct));
    public TimeSpan TouchResolution => inner.TouchResolution;
    public int WriteConcurrency => inner.WriteConcurrency;
    public int ReadAhead => inner.ReadAhead;

    public IReadOnlyList<string> ListLeftovers(TimeSpan age) => inner is ILeftovers l ? l.ListLeftovers(age) : [];

    public void DeleteLeftover(string name)
    {
        if (inner is ILeftovers l) l.DeleteLeftover(name);
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();
}
