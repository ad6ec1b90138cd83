using Npgsql;
using Strata.Core;
using Strata.Core.Auth;
using Strata.Core.Storage;
using Strata.Storage.Postgres;

namespace Strata.Storage.Tests;

/// <summary>The metadata contract on PostgreSQL: a fresh database per test (see PostgresTestDatabase).</summary>
public sealed class PostgresMetadataStoreTests : MetadataStoreContract, IAsyncLifetime
{
    private PostgresTestDatabase? _db;
    private PostgresMetadataStore? _store;

    protected override IMetadataStore Store => _store!;
    protected override IAccessStore Access => _store!;

    public async Task InitializeAsync()
    {
        _db = await PostgresTestDatabase.CreateAsync();
        _store = await PostgresMetadataStore.OpenAsync(_db.ConnectionString, Ct);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }

    // Beyond the contract (SQLite runs one write at a time): freshening only excludes sweeping.
    [Fact]
    public async Task FreshensOfDifferentChunksDoNotWaitForEachOther()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var touching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = Store.FreshenChunkAsync(Hash.Of([1]), async _ =>
        {
            touching.SetResult();
            await release.Task;
            return true;
        }, Ct);
        await touching.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await Store.FreshenChunkAsync(Hash.Of([2]), _ => Task.FromResult(true), Ct).WaitAsync(TimeSpan.FromSeconds(10)));
        release.SetResult();
        Assert.True(await slow);
    }

    [Fact]
    public async Task PublishingACutoffWaitsForTheWritesCheckingTheOldOne()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        // Stall a commit just after its cutoff check: its CAS waits for the branch row, locked here by hand.
        await using var c = new NpgsqlConnection(_db!.ConnectionString);
        await c.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await using (var lockBranch = new NpgsqlCommand("SELECT 1 FROM branches WHERE repo='r' AND name='master' FOR UPDATE", c, tx))
            await lockBranch.ExecuteScalarAsync();
        var first = Commit("r", 1);
        var write = Task.Run(() => Store.TryCommitChainAsync("master", null, [new NewCommit(first, [])], [], 999, Ct));
        await WaitForLockWaitersAsync(1);
        var publish = Store.PublishGcCutoffAsync(1000, Ct);
        await Task.Delay(500);
        Assert.False(publish.IsCompleted, "the cutoff was published while a write checking the old one was in progress");
        await tx.CommitAsync();
        Assert.True(await write.WaitAsync(TimeSpan.FromSeconds(10)), "the write checked the old cutoff, so it stands");
        await publish.WaitAsync(TimeSpan.FromSeconds(10));
        var second = Commit("r", 2, first.Id);
        await AssertExpiredAsync(() => Store.TryCommitChainAsync("master", first.Id, [new NewCommit(second, [])], [], 999, Ct));
    }

    private async Task WaitForLockWaitersAsync(int n)
    {
        for (var i = 0; i < 200; i++)
        {
            var waiting = await PostgresTestDatabase.ScalarAsync(_db!.ConnectionString,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
            if ((long)waiting! >= n) return;
            await Task.Delay(25);
        }
        Assert.Fail($"fewer than {n} sessions ever waited for a lock");
    }
}
