using Strata.Storage.Sqlite;

namespace Strata.Storage.Tests;

/// <summary>
/// WalSync acknowledges a commit stored without an fsync only after an fsync that began once the
/// commit had finished, fails for good once an fsync fails, and reports readers behind meanwhile.
/// </summary>
public sealed class WalSyncTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-walsync-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Wal()
    {
        var path = Path.Combine(_dir, "metadata.db-wal");
        File.WriteAllBytes(path, new byte[8192]);
        return path;
    }

    [Fact]
    public async Task ACommitIsDurableOnlyAfterASyncThatBeganOnceItFinished()
    {
        var sync = new WalSync(Wal());
        Assert.False(sync.Behind);
        Assert.True(sync.WhenDurableAsync(CancellationToken.None).IsCompletedSuccessfully);

        sync.Begin(); // a commit has taken the write lock: a reader may see it from now on
        Assert.True(sync.Behind);
        var waiting = sync.WhenDurableAsync(CancellationToken.None);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted); // its frames may not all be written: no sync can count for it yet

        sync.Finished();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(sync.Behind);
        Assert.True(sync.WhenDurableAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitersOfSeveralCommitsAreAllAnswered()
    {
        var sync = new WalSync(Wal());
        var waits = new List<Task>();
        for (var i = 0; i < 50; i++)
        {
            sync.Begin();
            waits.Add(sync.WhenDurableAsync(CancellationToken.None));
            sync.Finished();
        }
        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(sync.Behind);
    }

    [Fact]
    public async Task AFailedSyncFailsItsWaitersAndEveryLaterOne()
    {
        // A path under a regular file cannot be opened (ENOTDIR): the sync fails.
        var sync = new WalSync(Path.Combine(Wal(), "not-a-dir"));
        sync.Begin();
        sync.Finished();
        await Assert.ThrowsAsync<IOException>(() => sync.WhenDurableAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(sync.Behind);
        await Assert.ThrowsAsync<IOException>(() => sync.WhenDurableAsync(CancellationToken.None));
    }

    [Fact]
    public async Task NoWalFileMeansTheDatabaseFileHoldsEverything()
    {
        // SQLite removes the WAL only after the last connection checkpointed it into the synced database file.
        var sync = new WalSync(Path.Combine(_dir, "gone-wal"));
        sync.Begin();
        sync.Finished();
        await sync.WhenDurableAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(sync.Behind);
    }
}
