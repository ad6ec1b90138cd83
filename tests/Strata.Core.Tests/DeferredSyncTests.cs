using Strata.Core.Storage;
using Strata.Core.Tree;
using Strata.Storage.FileSystem;
using Strata.Storage.Sqlite;

namespace Strata.Core.Tests;

/// <summary>
/// A group's commits may be stored before they are synced (so the sync overlaps the next group's
/// transaction), but no writer is told its write landed, and no reader is shown the new head, until
/// the store says the commit is durable; a failed sync fails the writers.
/// </summary>
public sealed class DeferredSyncTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-sync-").FullName;
    private static readonly CancellationToken Ct = CancellationToken.None;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Stores chains at once and makes them durable when the test says so.</summary>
    private sealed class HeldSyncStore(SqliteMetadataStore inner) : DelegatingMetadataStore(inner)
    {
        public readonly TaskCompletionSource Synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public volatile bool Stored;

        public override async Task<bool> TryCommitChainUnsyncedAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain,
            IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
        {
            var ok = await TryCommitChainAsync(branch, expectedHead, chain, nodes, protectedSinceUnixMs, ct);
            Stored = true;
            return ok;
        }

        public override Task WhenDurableAsync(CancellationToken ct) => Stored ? Synced.Task.WaitAsync(ct) : Task.CompletedTask;
    }

    private static FileEntry Entry(string id, long ms) =>
        new() { Size = 0, ETag = "e", ContentHash = Hash.Of([]), CommitId = id, ModifiedUnixMs = ms, Chunks = [] };

    private async Task<(HeldSyncStore Meta, VersionedStore Store, BucketRef Bucket, Task<CommitInfo?> Put)> StoredNotSyncedAsync()
    {
        var meta = new HeldSyncStore(new SqliteMetadataStore(Path.Combine(_dir, "meta.db")));
        var s = new VersionedStore(meta, new FileChunkStore(Path.Combine(_dir, "chunks")));
        var b = new BucketRef("r", "master", null);
        await s.CreateBranchAsync("r", "master", Ct);
        var put = s.CommitAsync(b, (id, ms) => [new Mutation("k", Entry(id, ms))], "put", Ct);
        for (var i = 0; !meta.Stored; i++)
        {
            Assert.True(i < 200, "the commit was never stored");
            await Task.Delay(50);
        }
        // Stored: the head has moved for anyone reading the metadata store directly.
        Assert.NotNull((await meta.GetBranchAsync("r", "master", Ct))!.Head);
        return (meta, s, b, put);
    }

    [Fact]
    public async Task WritersAndReadersHearOfACommitOnlyOnceItIsDurable()
    {
        var (meta, s, b, put) = await StoredNotSyncedAsync();
        var read = s.OpenAsync(b, Ct);
        await Task.Delay(300);
        Assert.False(put.IsCompleted, "the writer was answered before its commit was durable");
        Assert.False(read.IsCompleted, "a reader was shown a head that was not durable");

        meta.Synced.SetResult();
        var commit = await put.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(commit!.Id, (await read.WaitAsync(TimeSpan.FromSeconds(10))).Commit!.Id);
    }

    [Fact]
    public async Task AWriterWhoseCommitCouldNotBeSyncedIsNotToldItLanded()
    {
        var (meta, _, _, put) = await StoredNotSyncedAsync();
        meta.Synced.SetException(new IOException("fdatasync failed"));
        Assert.Equal("fdatasync failed", (await Assert.ThrowsAsync<IOException>(() => put.WaitAsync(TimeSpan.FromSeconds(10)))).Message);
    }
}
