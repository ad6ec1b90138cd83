using Microsoft.Data.Sqlite;

namespace Strata.Storage.Sqlite;

/// <summary>
/// Copies the WAL into the database file on its own connection and thread, so that commits do not
/// wait for it. SQLite's automatic checkpoint runs in the commit that crosses the threshold: under a
/// steady stream of small PUTs that was a ~35 ms stall (copying 32 MiB of pages, then fsyncing the
/// database) every ~0.4 s, for every writer queued behind that commit. Here PASSIVE checkpoints copy
/// while writers go on; once little is left, a RESTART checkpoint (which holds writers back, briefly)
/// copies the rest and lets the next writer start the WAL from its beginning, so it stays bounded.
/// The connections' own automatic checkpoint stays as a backstop at a larger size.
/// </summary>
internal sealed class Checkpointer : IDisposable
{
    /// <summary>Checkpoint once the WAL holds this many frames past the last checkpoint (32 MiB of 4 KiB pages).</summary>
    public const int Frames = 8192;
    private const int RestartBelow = 1024; // frames still to copy when writers may be held back for the rest

    private readonly string _cs;
    private readonly SemaphoreSlim _nudge = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _framesSeen;

    public Checkpointer(string connectionString)
    {
        // Its own connection, not pooled: a short busy timeout, so that a RESTART that finds a reader
        // gives up at once rather than holding writers back while it waits.
        _cs = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Called after a commit with how many WAL frames it wrote (pages, roughly): starts a checkpoint past <see cref="Frames"/>.</summary>
    public void Committed(int frames)
    {
        if (Interlocked.Add(ref _framesSeen, frames) < Frames) return;
        Interlocked.Exchange(ref _framesSeen, 0);
        if (_nudge.CurrentCount == 0)
        {
            try { _nudge.Release(); }
            catch (SemaphoreFullException) { } // nudged meanwhile
        }
    }

    private async Task LoopAsync()
    {
        SqliteConnection? c = null;
        try
        {
            while (true)
            {
                await _nudge.WaitAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    c ??= OpenConnection();
                    // PASSIVE copies what it can while writers append; each round has less left to copy.
                    for (var round = 0; round < 8 && !_stop.IsCancellationRequested; round++)
                    {
                        var (log, copied) = Checkpoint(c, "PASSIVE");
                        if (log - copied >= RestartBelow) continue;
                        Checkpoint(c, "RESTART");
                        break;
                    }
                }
                catch (SqliteException)
                {
                    // Busy or failing: the connections' own automatic checkpoint is the backstop.
                    c?.Dispose();
                    c = null;
                }
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            c?.Dispose();
        }
    }

    private SqliteConnection OpenConnection()
    {
        var c = new SqliteConnection(_cs);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA busy_timeout=20;";
        cmd.ExecuteNonQuery();
        return c;
    }

    private static (long Log, long Copied) Checkpoint(SqliteConnection c, string mode)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"PRAGMA wal_checkpoint({mode});"; // mode is one of two constants above
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetInt64(1), r.GetInt64(2)) : (0, 0);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop.Wait(TimeSpan.FromSeconds(10)); }
        catch (AggregateException) { }
        _stop.Dispose();
        _nudge.Dispose();
    }
}
