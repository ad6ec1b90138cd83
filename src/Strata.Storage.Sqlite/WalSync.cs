using System.Runtime.InteropServices;

namespace Strata.Storage.Sqlite;

/// <summary>
/// Makes commits that SQLite wrote without an fsync (synchronous=NORMAL) durable by fsyncing the WAL
/// file itself, outside SQLite's write lock: one group's fsync overlaps the next group's transaction
/// instead of holding the lock (on this project's VM disk the fsync was 1.1 ms of a 2.5 ms COMMIT).
/// Commits are counted in order (SQLite's write lock serializes them); an fsync that starts after the
/// Nth commit has finished makes the first N durable, since each commit's WAL frames follow the last.
/// Readers wait too: a head or version another request could see must be durable before it is shown,
/// or a crash of the machine could take back what a client had already read.
/// </summary>
internal sealed class WalSync(string walPath)
{
    private readonly Lock _lock = new();
    private long _begun;     // unsynced commits that have started (taken the write lock)
    private long _finished;  // ... that have finished, committed or not
    private long _durable;   // the first this many are durable
    private bool _syncing;
    private Exception? _failed;
    private readonly List<(long Seq, TaskCompletionSource Done)> _waiters = [];

    /// <summary>Called with the write lock held, before the commit: readers that may see it from now on wait for it.</summary>
    public void Begin()
    {
        lock (_lock) _begun++;
    }

    /// <summary>Called after the commit ended (committed or rolled back): a sync may now cover it.</summary>
    public void Finished()
    {
        lock (_lock)
        {
            _finished++;
            StartIfNeeded();
        }
    }

    /// <summary>Completes once every unsynced commit begun before the call is durable (faults if the WAL could not be synced).</summary>
    public Task WhenDurableAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            if (_failed is not null) return Task.FromException(_failed);
            if (_begun <= _durable) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((_begun, done));
            StartIfNeeded();
            return done.Task.WaitAsync(ct);
        }
    }

    /// <summary>True when some commit a reader may see is not durable yet (checked without waiting first).</summary>
    public bool Behind
    {
        get { lock (_lock) return _begun > _durable || _failed is not null; }
    }

    private void StartIfNeeded()
    {
        // A sync is worth starting only for a waiter whose commits have all finished; the others are
        // started again by the Finished() of their last commit.
        if (_syncing || _waiters.Count == 0 || _finished <= _durable) return;
        _syncing = true;
        ThreadPool.UnsafeQueueUserWorkItem(_ => SyncLoop(), null);
    }

    private void SyncLoop()
    {
        while (true)
        {
            long target;
            lock (_lock) target = _finished;
            Exception? error = null;
            try { Sync(); }
            catch (Exception e) { error = e; }
            List<TaskCompletionSource> done = [];
            lock (_lock)
            {
                if (error is not null)
                {
                    // After a failed fsync, Linux may have dropped the dirty pages: nothing later can be trusted durable.
                    _failed = new IOException($"could not sync {walPath}: {error.Message}", error);
                    foreach (var w in _waiters) w.Done.TrySetException(_failed);
                    _waiters.Clear();
                    _syncing = false;
                    return;
                }
                _durable = Math.Max(_durable, target);
                _waiters.RemoveAll(w =>
                {
                    if (w.Seq > _durable) return false;
                    done.Add(w.Done);
                    return true;
                });
                if (_waiters.Count == 0 || _finished <= _durable)
                {
                    _syncing = false;
                    foreach (var d in done) d.TrySetResult();
                    return;
                }
            }
            foreach (var d in done) d.TrySetResult();
        }
    }

    private void Sync()
    {
        // Opened for each sync rather than kept: a descriptor kept across the WAL's removal (when the
        // last connection closes) and re-creation would sync a file nobody writes any more.
        var fd = Native.open(walPath, 0x80000 /* O_RDONLY | O_CLOEXEC */);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // No WAL: the last connection closed, which checkpoints into the database file and syncs it.
            if (errno == 2 /* ENOENT */) return;
            throw new IOException($"open failed, errno {errno}");
        }
        try
        {
            if (Native.fdatasync(fd) != 0) throw new IOException($"fdatasync failed, errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            _ = Native.close(fd);
        }
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)] public static extern int open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);
        [DllImport("libc", SetLastError = true)] public static extern int fdatasync(int fd);
        [DllImport("libc")] public static extern int close(int fd);
    }
}
