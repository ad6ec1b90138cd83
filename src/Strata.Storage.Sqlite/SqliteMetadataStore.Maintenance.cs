using Microsoft.Data.Sqlite;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.Sqlite;

// Garbage collection and fsck support. SQLite runs one write transaction at a time (every
// transaction here is BEGIN IMMEDIATE), which is what orders a write's cutoff check after or
// before the GC's publication, and a chunk's freshening before or after its sweep.
public sealed partial class SqliteMetadataStore
{
    // Columns added after the first release, to databases made before them.
    private static void MigrateColumns(SqliteConnection c)
    {
        foreach (var (table, column) in new[] { ("nodes", "touched"), ("branches", "floor"), ("branches", "purges") })
        {
            using var cols = Cmd(c, "SELECT 1 FROM pragma_table_info($t) WHERE name=$c", ("$t", table), ("$c", column));
            if (cols.ExecuteScalar() is null) Exec(c, $"ALTER TABLE {table} ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0"); // names from the list above, not input
        }
    }

    public Task<bool> RaiseBranchFloorAsync(string repo, string branch, long floor, string droppedBelow, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using (var up = Cmd(c, "UPDATE branches SET floor=$f WHERE repo=$r AND name=$b AND floor < $f", ("$f", floor), ("$r", repo), ("$b", branch)))
        {
            up.Transaction = tx;
            if (up.ExecuteNonQuery() == 0)
            {
                tx.Rollback();
                return Task.FromResult(false);
            }
        }
        using (var drop = Cmd(c, "INSERT INTO gc_dropped(kind, ref, dropped) VALUES($k, $ref, $t)",
                   ("$k", (int)DroppedKind.Commit), ("$ref", System.Text.Encoding.UTF8.GetBytes(droppedBelow)), ("$t", Now)))
        {
            drop.Transaction = tx;
            drop.ExecuteNonQuery();
        }
        tx.Commit();
        return Task.FromResult(true);
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static long Cutoff(SqliteConnection c, SqliteTransaction? tx)
    {
        using var cmd = Cmd(c, "SELECT CAST(value AS INTEGER) FROM settings WHERE key='gc_cutoff'");
        cmd.Transaction = tx;
        return cmd.ExecuteScalar() is long v ? v : 0;
    }

    private static void RequireNotExpired(SqliteConnection c, SqliteTransaction tx, long protectedSinceUnixMs)
    {
        if (Cutoff(c, tx) > protectedSinceUnixMs)
            throw StrataException.GcExpired();
    }

    /// <summary>Records the chunk lists of an upload's parts (or of one part) as dropped roots, before they are deleted or replaced.</summary>
    private static void DropParts(SqliteConnection c, SqliteTransaction tx, string uploadId, int? number)
    {
        using var cmd = Cmd(c, "INSERT INTO gc_dropped(kind, ref, dropped) SELECT $k, chunks, $t FROM parts WHERE upload_id=$u AND ($n IS NULL OR number=$n)",
            ("$k", (int)DroppedKind.Chunks), ("$t", Now), ("$u", uploadId), ("$n", number));
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    public Task<long> GetGcCutoffAsync(CancellationToken ct)
    {
        using var c = Open();
        return Task.FromResult(Cutoff(c, null));
    }

    public Task PublishGcCutoffAsync(long cutoffUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "UPDATE settings SET value=CAST(max(CAST(value AS INTEGER), $v) AS TEXT) WHERE key='gc_cutoff'", ("$v", cutoffUnixMs));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset until, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, """
            INSERT INTO leases(name, owner, until) VALUES($n, $o, $u)
            ON CONFLICT(name) DO UPDATE SET owner=excluded.owner, until=excluded.until WHERE leases.owner=excluded.owner OR leases.until < $now
            """, ("$n", name), ("$o", owner), ("$u", until.ToUnixTimeMilliseconds()), ("$now", Now));
        return Task.FromResult(cmd.ExecuteNonQuery() == 1);
    }

    public Task ReleaseLeaseAsync(string name, string owner, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "DELETE FROM leases WHERE name=$n AND owner=$o", ("$n", name), ("$o", owner));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<string?> GetSettingAsync(string key, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT value FROM settings WHERE key=$k", ("$k", key));
        return Task.FromResult(cmd.ExecuteScalar() as string);
    }

    public Task SetSettingAsync(string key, string value, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "INSERT OR REPLACE INTO settings(key, value) VALUES($k, $v)", ("$k", key), ("$v", value));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OpenCommit>> ListOpenCommitsAsync(CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT repo, branch, id, base, root, started FROM open_commits ORDER BY repo, branch");
        using var r = cmd.ExecuteReader();
        var list = new List<OpenCommit>();
        while (r.Read())
            list.Add(new OpenCommit(r.GetString(2), r.GetString(0), r.GetString(1), r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : Hash.FromBytes((byte[])r.GetValue(4)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))));
        return Task.FromResult<IReadOnlyList<OpenCommit>>(list);
    }

    public Task<IReadOnlyList<PartInfo>> ListAllPartsAsync(string afterUploadId, int afterNumber, int limit, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, """
            SELECT upload_id, number, size, md5, chunks, checksums, modified FROM parts
            WHERE upload_id > $u OR (upload_id = $u AND number > $a) ORDER BY upload_id, number LIMIT $n
            """, ("$u", afterUploadId), ("$a", afterNumber), ("$n", limit));
        return Task.FromResult<IReadOnlyList<PartInfo>>(ReadParts(cmd));
    }

    public Task<IReadOnlyList<DroppedRoot>> ListDroppedAsync(long sinceUnixMs, long afterSeq, int limit, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT seq, kind, ref, dropped FROM gc_dropped WHERE seq > $s AND dropped >= $t ORDER BY seq LIMIT $n",
            ("$s", afterSeq), ("$t", sinceUnixMs), ("$n", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<DroppedRoot>();
        while (r.Read()) list.Add(new DroppedRoot(r.GetInt64(0), (DroppedKind)r.GetInt64(1), (byte[])r.GetValue(2), r.GetInt64(3)));
        return Task.FromResult<IReadOnlyList<DroppedRoot>>(list);
    }

    public Task<int> PurgeDroppedAsync(long beforeUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "DELETE FROM gc_dropped WHERE dropped < $t", ("$t", beforeUnixMs));
        return Task.FromResult(cmd.ExecuteNonQuery());
    }

    public Task<IReadOnlyList<KeyValuePair<Hash, byte[]>>> GetNodesAsync(IReadOnlyList<Hash> ids, CancellationToken ct)
    {
        // One connection and one prepared statement for the batch: opening one per node costs more than the read.
        using var c = Open();
        using var cmd = Cmd(c, "SELECT data FROM nodes WHERE id=$id");
        var pid = cmd.Parameters.Add("$id", SqliteType.Blob);
        var found = new List<KeyValuePair<Hash, byte[]>>(ids.Count);
        foreach (var id in ids)
        {
            pid.Value = id.ToBytes();
            if (cmd.ExecuteScalar() is byte[] data) found.Add(new(id, data));
        }
        return Task.FromResult<IReadOnlyList<KeyValuePair<Hash, byte[]>>>(found);
    }

    public Task<IReadOnlyList<NodeStat>> ListNodesAsync(Hash? after, int limit, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT id, length(data), touched FROM nodes WHERE id > $a ORDER BY id LIMIT $n",
            ("$a", after?.ToBytes() ?? []), ("$n", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<NodeStat>();
        while (r.Read()) list.Add(new NodeStat(Hash.FromBytes((byte[])r.GetValue(0)), r.GetInt32(1), r.GetInt64(2)));
        return Task.FromResult<IReadOnlyList<NodeStat>>(list);
    }

    public Task<int> DeleteNodesAsync(IReadOnlyList<Hash> ids, long touchedBeforeUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using var del = Cmd(c, "DELETE FROM nodes WHERE id=$id AND touched < $t", ("$t", touchedBeforeUnixMs));
        del.Transaction = tx;
        var pid = del.Parameters.Add("$id", SqliteType.Blob);
        var n = 0;
        foreach (var id in ids)
        {
            pid.Value = id.ToBytes();
            n += del.ExecuteNonQuery();
        }
        tx.Commit();
        return Task.FromResult(n);
    }

    public Task<IReadOnlyList<CommitInfo>> ListCommitsAsync(string afterId, int limit, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT id, repo, parent, root, height, skip, time, message FROM commits WHERE id > $a ORDER BY id LIMIT $n",
            ("$a", afterId), ("$n", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<CommitInfo>();
        while (r.Read()) list.Add(ReadCommit(r));
        return Task.FromResult<IReadOnlyList<CommitInfo>>(list);
    }

    public Task<int> DeleteCommitsAsync(IReadOnlyList<string> ids, long madeBeforeUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        // A version's tags go with it: found through its rows (versions_by_commit), each by its whole key.
        using var tags = Cmd(c, """
            DELETE FROM object_tags WHERE (repo, key, commit_id) IN
                (SELECT repo, key, commit_id FROM versions WHERE repo=(SELECT repo FROM commits WHERE id=$id AND time < $t) AND commit_id=$id)
            """, ("$t", madeBeforeUnixMs));
        using var versions = Cmd(c, "DELETE FROM versions WHERE repo=(SELECT repo FROM commits WHERE id=$id AND time < $t) AND commit_id=$id", ("$t", madeBeforeUnixMs));
        using var commits = Cmd(c, "DELETE FROM commits WHERE id=$id AND time < $t", ("$t", madeBeforeUnixMs));
        tags.Transaction = versions.Transaction = commits.Transaction = tx;
        var pt = tags.Parameters.Add("$id", SqliteType.Text);
        var pv = versions.Parameters.Add("$id", SqliteType.Text);
        var pc = commits.Parameters.Add("$id", SqliteType.Text);
        var n = 0;
        foreach (var id in ids)
        {
            pt.Value = pv.Value = pc.Value = id;
            tags.ExecuteNonQuery();
            versions.ExecuteNonQuery();
            n += commits.ExecuteNonQuery();
        }
        tx.Commit();
        return Task.FromResult(n);
    }

    public async Task<bool> FreshenChunkAsync(Hash id, Func<CancellationToken, Task<bool>> touch, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using (var cmd = Cmd(c, "INSERT OR REPLACE INTO gc_freshened(id, at) VALUES($id, $t)", ("$id", id.ToBytes()), ("$t", Now)))
        {
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
        }
        var exists = await touch(ct).ConfigureAwait(false);
        tx.Commit();
        return exists;
    }

    public async Task<int> SweepChunksAsync(IReadOnlyList<Hash> candidates, long freshenedSinceUnixMs,
        Func<IReadOnlyList<Hash>, CancellationToken, Task> delete, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var doomed = new List<Hash>(candidates.Count);
        using (var cmd = Cmd(c, "SELECT 1 FROM gc_freshened WHERE id=$id AND at >= $t", ("$t", freshenedSinceUnixMs)))
        {
            cmd.Transaction = tx;
            var pid = cmd.Parameters.Add("$id", SqliteType.Blob);
            foreach (var id in candidates)
            {
                pid.Value = id.ToBytes();
                if (cmd.ExecuteScalar() is null) doomed.Add(id);
            }
        }
        if (doomed.Count > 0) await delete(doomed, ct).ConfigureAwait(false);
        tx.Commit();
        return doomed.Count;
    }

    public Task<int> PurgeFreshenedAsync(long beforeUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "DELETE FROM gc_freshened WHERE at < $t", ("$t", beforeUnixMs));
        return Task.FromResult(cmd.ExecuteNonQuery());
    }

    public Task CompactAsync(CancellationToken ct)
    {
        // Freed pages are reused by later writes; the write-ahead log, which only grows, is emptied.
        using var c = Open();
        Exec(c, "PRAGMA wal_checkpoint(TRUNCATE);");
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<VersionRow>> ListCommitVersionsAsync(string repo, string commitId, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT key, commit_id, height, is_delete, size, etag, modified FROM versions INDEXED BY versions_by_commit WHERE repo=$r AND commit_id=$c ORDER BY key",
            ("$r", repo), ("$c", commitId));
        using var r = cmd.ExecuteReader();
        var list = new List<VersionRow>();
        while (r.Read()) list.Add(ReadVersion(r));
        return Task.FromResult<IReadOnlyList<VersionRow>>(list);
    }

    public Task ReplaceCommitVersionsAsync(CommitInfo commit, IReadOnlyCollection<VersionRow> rows, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using (var del = Cmd(c, "DELETE FROM versions WHERE repo=$r AND commit_id=$c", ("$r", commit.Repo), ("$c", commit.Id)))
        {
            del.Transaction = tx;
            del.ExecuteNonQuery();
        }
        InsertVersions(c, tx, commit, rows);
        tx.Commit();
        return Task.CompletedTask;
    }
}
