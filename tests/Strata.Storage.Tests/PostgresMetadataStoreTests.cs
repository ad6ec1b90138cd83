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
    protected override async Task<IMetadataStore> OpenSecondAsync() => await PostgresMetadataStore.OpenAsync(_db!.ConnectionString, Ct);

    protected override async Task<string> RawAccessTextAsync() => (string?)await PostgresTestDatabase.ScalarAsync(_db!.ConnectionString, """
        SELECT coalesce(string_agg(x, ' '), '') FROM (
            SELECT id || ' ' || hash || ' ' || user_name AS x FROM access_tokens UNION ALL SELECT name FROM users
            UNION ALL SELECT user_name || ' ' || repo FROM roles UNION ALL SELECT key || ' ' || value FROM settings
            UNION ALL SELECT actor || ' ' || action || ' ' || target || ' ' || detail FROM audit) t
        """) ?? "";

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

    [Fact]
    public async Task ACommitPostgresAbortsToBreakADeadlockIsARaceLostNotAnError()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        var node = new KeyValuePair<Hash, byte[]>(Hash.Of([9]), [9]);
        // Another transaction inserts the node the commit will write, and does not commit yet.
        await using var c = new NpgsqlConnection(_db!.ConnectionString);
        await c.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO nodes(id, data, touched) VALUES(@id, @d, 0)", c, tx))
        {
            insert.Parameters.AddWithValue("id", node.Key.ToBytes());
            insert.Parameters.AddWithValue("d", node.Value);
            await insert.ExecuteNonQueryAsync();
        }
        // The commit takes the branch row (its CAS), then waits for that node.
        var write = Task.Run(() => Store.TryCommitChainAsync("master", null, [new NewCommit(Commit("r", 1), [])], [node], 999, Ct));
        await WaitForLockWaitersAsync(1);
        // Now the other wants the branch row: a cycle. The commit has waited longer, so its deadlock
        // check runs first and PostgreSQL aborts it.
        await using var update = new NpgsqlCommand("UPDATE branches SET head=head WHERE repo='r' AND name='master'", c, tx);
        var other = update.ExecuteNonQueryAsync();
        Assert.False(await write.WaitAsync(TimeSpan.FromSeconds(30)));
        await other.WaitAsync(TimeSpan.FromSeconds(30));
        await tx.RollbackAsync();
        Assert.Null((await Store.GetBranchAsync("r", "master", Ct))!.Head);
        // Tried again, it goes through.
        Assert.True(await Store.TryCommitChainAsync("master", null, [new NewCommit(Commit("r", 1), [])], [node], 999, Ct));
    }

    /// <summary>Locks a branch row on a connection of its own, so that a commit on it stalls at its CAS (after its cutoff check).</summary>
    private async Task<(NpgsqlConnection Connection, NpgsqlTransaction Lock)> LockBranchAsync(string branch, NpgsqlConnection? c = null)
    {
        if (c is null)
        {
            c = new NpgsqlConnection(_db!.ConnectionString);
            await c.OpenAsync();
        }
        var tx = await c.BeginTransactionAsync();
        await using var lockBranch = new NpgsqlCommand("SELECT 1 FROM branches WHERE repo='r' AND name=@b FOR UPDATE", c, tx);
        lockBranch.Parameters.AddWithValue("b", branch);
        await lockBranch.ExecuteScalarAsync();
        return (c, tx);
    }

    [Fact]
    public async Task AWriteArrivingWhileAPublicationWaitsGoesAfterItAndSeesTheNewCutoff()
    {
        await Store.CreateBranchAsync("r", "master", null, T0, Ct);
        await Store.CreateBranchAsync("r", "dev", null, T0, Ct);
        var (c, stall) = await LockBranchAsync("master");
        await using var _ = c;
        var first = Commit("r", 1);
        var write = Task.Run(() => Store.TryCommitChainAsync("master", null, [new NewCommit(first, [])], [], 999, Ct));
        await WaitForLockWaitersAsync(1);
        var publish = Task.Run(() => Store.PublishGcCutoffAsync(1000, Ct));
        await WaitForLockWaitersAsync(2);
        // Nothing holds dev: only the publication queued ahead of it can hold this write up.
        var late = Task.Run(() => Store.TryCommitChainAsync("dev", null, [new NewCommit(Commit("r", 1), [])], [], 999, Ct));
        await WaitForLockWaitersAsync(3, unless: late);
        await Task.Delay(300);
        Assert.False(late.IsCompleted, "a write overtook the publication waiting for the writes before it");
        Assert.False(publish.IsCompleted, "the cutoff was published while a write checking the old one was in progress");
        await stall.CommitAsync();
        Assert.True(await write.WaitAsync(TimeSpan.FromSeconds(10)), "the write checked the old cutoff, so it stands");
        await publish.WaitAsync(TimeSpan.FromSeconds(10));
        // The late write read the cutoff in the statement after its lock wait, which (READ COMMITTED,
        // one snapshot per statement, even within one batch) sees the publication that committed meanwhile.
        await AssertExpiredAsync(() => late.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null((await Store.GetBranchAsync("r", "dev", Ct))!.Head);
    }

    [Fact]
    public async Task AStreamOfWritesDoesNotStarveAPublication()
    {
        // A liveness check, not a timing benchmark: 16 writers keep the cutoff lock held shared
        // without a gap (each stalls ~50 ms at its CAS, back to back) for 5 s, and a publication
        // started at 1 s must get in long before they stop. With a lock that lets new shared holders
        // past a waiting exclusive one it would wait until the stream ends; the 3 s bound is generous.
        const int writers = 16;
        const long runMs = 5000, publishAtMs = 1000, boundMs = 3000;
        for (var i = 0; i < writers; i++) await Store.CreateBranchAsync("r", $"b{i}", null, T0, Ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var writes = new System.Collections.Concurrent.ConcurrentBag<(long Start, long End, bool Expired)>();

        async Task WriteAsync(int i)
        {
            await using var c = new NpgsqlConnection(_db!.ConnectionString);
            await c.OpenAsync();
            string? head = null;
            var height = 0L;
            while (clock.ElapsedMilliseconds < runMs)
            {
                var (_, stall) = await LockBranchAsync($"b{i}", c);
                await using (stall)
                {
                    var next = Commit("r", height + 1, head);
                    var start = clock.ElapsedMilliseconds;
                    var write = Store.TryCommitChainAsync($"b{i}", head, [new NewCommit(next, [])], [], 999, Ct);
                    await Task.Delay(50);
                    await stall.CommitAsync();
                    try
                    {
                        Assert.True(await write);
                        (head, height) = (next.Id, height + 1);
                        writes.Add((start, clock.ElapsedMilliseconds, false));
                    }
                    catch (StrataException e) when (e.Error == StoreError.GcExpired)
                    {
                        writes.Add((start, clock.ElapsedMilliseconds, true));
                    }
                }
            }
        }

        var loops = Enumerable.Range(0, writers).Select(i => Task.Run(() => WriteAsync(i))).ToArray();
        await Task.Delay(TimeSpan.FromMilliseconds(publishAtMs));
        var published = clock.ElapsedMilliseconds;
        await Store.PublishGcCutoffAsync(1000, Ct);
        var publishedAfter = clock.ElapsedMilliseconds;
        await Task.WhenAll(loops);
        Assert.True(publishedAfter - published <= boundMs,
            $"the publication started at {published} ms took {publishedAfter - published} ms; the writes ran until {clock.ElapsedMilliseconds} ms");
        var before = writes.Where(w => w.End < published).ToList();
        var after = writes.Where(w => w.Start > publishedAfter).ToList();
        Assert.NotEmpty(before);
        Assert.NotEmpty(after);
        Assert.All(before, w => Assert.False(w.Expired, "a write that ended before the publication was refused"));
        Assert.All(after, w => Assert.True(w.Expired, "a write that started after the publication did not see its cutoff"));
    }

    /// <summary>Waits until n sessions wait for a lock (or <paramref name="unless"/> has completed, which the caller then asserts against).</summary>
    private async Task WaitForLockWaitersAsync(int n, Task? unless = null)
    {
        for (var i = 0; i < 200; i++)
        {
            if (unless is { IsCompleted: true }) return;
            var waiting = await PostgresTestDatabase.ScalarAsync(_db!.ConnectionString,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
            if ((long)waiting! >= n) return;
            await Task.Delay(25);
        }
        Assert.Fail($"fewer than {n} sessions ever waited for a lock");
    }
}
