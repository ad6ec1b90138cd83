using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.Postgres;

// Garbage collection and fsck support. Two orderings make the GC protocol safe across nodes:
// - Every write that adds references takes the advisory lock GcCutoffLock shared as its first
//   statement and then, in the next statement, reads the cutoff; publishing a cutoff takes it
//   exclusive and raises the value in the same transaction, so it waits for the writes that checked
//   the old value, and the writes after it see the new one. The lock is fair where a row lock is
//   not: PostgreSQL's lock manager queues a new shared request behind a waiting exclusive one,
//   whereas new FOR SHARE lockers of a row get past a waiting UPDATE, so a steady stream of writes
//   could hold a publication off until the lock timeout. Taking it first in every write
//   transaction keeps the lock order the same everywhere (no deadlock with the CAS).
// - Freshening a chunk holds an advisory lock shared while it records and touches the chunk; a
//   sweep batch holds it exclusive while it reads the records and deletes.
public sealed partial class PostgresMetadataStore
{
    // Waits behind a sweep batch or the writes holding the cutoff lock can outlast the default 30 s.
    private const int LockWaitSeconds = 300;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static long ParseCutoff(object? value) =>
        value is string s && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    /// <summary>
    /// A batch of a write transaction that starts with the cutoff check; add the write's own
    /// statements, and run it with <see cref="ExecuteCheckedAsync"/>.
    /// </summary>
    private static NpgsqlBatch CheckedBatch(NpgsqlConnection c)
    {
        var batch = new NpgsqlBatch(c) { Timeout = LockWaitSeconds };
        Add(batch, "SELECT pg_advisory_xact_lock_shared(@k)", Long("k", PostgresSchema.GcCutoffLock));
        // A statement of its own, not a subquery of the one above: that statement's snapshot is taken
        // before its lock wait, and would miss a publication that committed during it. Within one
        // batch each command still gets its own READ COMMITTED snapshot (the server takes it when it
        // binds the command, after the one before has run), so one round trip does.
        Add(batch, "SELECT value FROM settings WHERE key='gc_cutoff'");
        return batch;
    }

    /// <summary>
    /// Runs the batch (one round trip) and throws GcExpired if the cutoff is above
    /// <paramref name="protectedSinceUnixMs"/>; the caller's transaction then rolls back on dispose,
    /// undoing the batch's other statements.
    /// </summary>
    private static async Task ExecuteCheckedAsync(NpgsqlBatch batch, long protectedSinceUnixMs, CancellationToken ct,
        Func<NpgsqlDataReader, CancellationToken, Task>? readRest = null)
    {
        long cutoff;
        await using (var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await r.NextResultAsync(ct).ConfigureAwait(false); // past the lock
            cutoff = await r.ReadAsync(ct).ConfigureAwait(false) ? ParseCutoff(r.GetString(0)) : 0;
            // The batch's own statements come next; readRest moves to them with NextResultAsync.
            if (readRest is not null) await readRest(r, ct).ConfigureAwait(false);
            while (await r.NextResultAsync(ct).ConfigureAwait(false)) { }
        }
        if (cutoff > protectedSinceUnixMs)
            throw StrataException.GcExpired();
    }

    public async Task<long> GetGcCutoffAsync(CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT value FROM settings WHERE key='gc_cutoff'");
        return ParseCutoff(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false));
    }

    public async Task PublishGcCutoffAsync(long cutoffUnixMs, CancellationToken ct)
    {
        // One batch, one transaction: the exclusive lock waits for every write holding it shared
        // (checking the old cutoff), holds back the writes arriving meanwhile, and is released when
        // the new value commits, so those read it.
        await using var batch = _ds.CreateBatch();
        batch.Timeout = LockWaitSeconds;
        Add(batch, "SELECT pg_advisory_xact_lock(@k)", Long("k", PostgresSchema.GcCutoffLock));
        Add(batch, """
            INSERT INTO settings(key, value) VALUES('gc_cutoff', @v)
            ON CONFLICT(key) DO UPDATE SET value=GREATEST(settings.value::bigint, excluded.value::bigint)::text
            """, Text("v", cutoffUnixMs.ToString(CultureInfo.InvariantCulture)));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset until, CancellationToken ct)
    {
        // Taken if free, expired or already ours; a racing insert waits and then re-checks the WHERE.
        await using var cmd = Cmd("""
            INSERT INTO leases(name, owner, until) VALUES(@n, @o, @u)
            ON CONFLICT(name) DO UPDATE SET owner=excluded.owner, until=excluded.until
            WHERE leases.owner=excluded.owner OR leases.until < @now
            """, Text("n", name), Text("o", owner), Long("u", until.ToUnixTimeMilliseconds()), Long("now", Now));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task ReleaseLeaseAsync(string name, string owner, CancellationToken ct)
    {
        await using var cmd = Cmd("DELETE FROM leases WHERE name=@n AND owner=@o", Text("n", name), Text("o", owner));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<string?> GetSettingAsync(string key, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT value FROM settings WHERE key=@k", Text("k", key));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    public async Task SetSettingAsync(string key, string value, CancellationToken ct)
    {
        await using var cmd = Cmd("INSERT INTO settings(key, value) VALUES(@k, @v) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            Text("k", key), Text("v", value));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<OpenCommit>> ListOpenCommitsAsync(CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT repo, branch, id, base, root, started FROM open_commits ORDER BY repo, branch");
        return await ReadAllAsync(cmd, r => new OpenCommit(r.GetString(2), r.GetString(0), r.GetString(1), NullableString(r, 3), NullableHash(r, 4), Time(r, 5)), ct)
            .ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PartInfo>> ListAllPartsAsync(string afterUploadId, int afterNumber, int limit, CancellationToken ct)
    {
        // A row comparison, so that the primary key index seeks straight to the page.
        await using var cmd = Cmd($"SELECT {PartCols} FROM parts WHERE (upload_id, number) > (@u, @a) ORDER BY upload_id, number LIMIT @n",
            Text("u", afterUploadId), Int("a", afterNumber), Int("n", limit));
        return await ReadAllAsync(cmd, ReadPart, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<DroppedRoot>> ListDroppedAsync(long sinceUnixMs, long afterSeq, int limit, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT seq, kind, ref, dropped FROM gc_dropped WHERE seq > @s AND dropped >= @t ORDER BY seq LIMIT @n",
            Long("s", afterSeq), Long("t", sinceUnixMs), Int("n", limit));
        return await ReadAllAsync(cmd, r => new DroppedRoot(r.GetInt64(0), (DroppedKind)r.GetInt32(1), r.GetFieldValue<byte[]>(2), r.GetInt64(3)), ct)
            .ConfigureAwait(false);
    }

    public async Task<int> PurgeDroppedAsync(long beforeUnixMs, CancellationToken ct)
    {
        await using var cmd = Cmd("DELETE FROM gc_dropped WHERE dropped < @t", Long("t", beforeUnixMs));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static NpgsqlParameter HashArray(string name, IEnumerable<Hash> ids) =>
        P(name, NpgsqlDbType.Array | NpgsqlDbType.Bytea, ids.Select(id => id.ToBytes()).ToArray());

    public async Task<IReadOnlyList<KeyValuePair<Hash, byte[]>>> GetNodesAsync(IReadOnlyList<Hash> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        // One round trip instead of one per node; the answer keeps the order of the request.
        await using var cmd = Cmd("SELECT id, data FROM nodes WHERE id = ANY(@ids)", HashArray("ids", ids.Distinct()));
        var found = (await ReadAllAsync(cmd, r => (Id: Hash.FromBytes(r.GetFieldValue<byte[]>(0)), Data: r.GetFieldValue<byte[]>(1)), ct).ConfigureAwait(false))
            .ToDictionary(n => n.Id, n => n.Data);
        var list = new List<KeyValuePair<Hash, byte[]>>(found.Count);
        foreach (var id in ids)
            if (found.TryGetValue(id, out var data)) list.Add(new(id, data));
        return list;
    }

    public async Task<IReadOnlyList<NodeStat>> ListNodesAsync(Hash? after, int limit, CancellationToken ct)
    {
        // bytea compares by bytes, as hashes order.
        await using var cmd = Cmd("SELECT id, octet_length(data), touched FROM nodes WHERE id > @a ORDER BY id LIMIT @n",
            Bytes("a", after?.ToBytes() ?? []), Int("n", limit));
        return await ReadAllAsync(cmd, r => new NodeStat(Hash.FromBytes(r.GetFieldValue<byte[]>(0)), r.GetInt32(1), r.GetInt64(2)), ct).ConfigureAwait(false);
    }

    public async Task<int> DeleteNodesAsync(IReadOnlyList<Hash> ids, long touchedBeforeUnixMs, CancellationToken ct)
    {
        if (ids.Count == 0) return 0;
        // A node re-inserted meanwhile is touched again; the DELETE waits for that row and re-checks it.
        await using var cmd = Cmd("DELETE FROM nodes WHERE id = ANY(@ids) AND touched < @t", HashArray("ids", ids), Long("t", touchedBeforeUnixMs));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<CommitInfo>> ListCommitsAsync(string afterId, int limit, CancellationToken ct)
    {
        // commits.id is COLLATE "C": byte order, as in SQLite.
        await using var cmd = Cmd($"SELECT {CommitCols} FROM commits WHERE id > @a ORDER BY id LIMIT @n", Text("a", afterId), Int("n", limit));
        return await ReadAllAsync(cmd, ReadCommit, ct).ConfigureAwait(false);
    }

    public async Task<int> DeleteCommitsAsync(IReadOnlyList<string> ids, long madeBeforeUnixMs, CancellationToken ct)
    {
        if (ids.Count == 0) return 0;
        // One batch, one transaction: the version rows (and their tags) go with their commit, or none does.
        await using var batch = _ds.CreateBatch();
        Add(batch, """
            DELETE FROM object_tags t USING versions v, commits c
            WHERE c.id = ANY(@ids) AND c.time < @t AND v.repo = c.repo AND v.commit_id = c.id
              AND t.repo = v.repo AND t.key = v.key AND t.commit_id = v.commit_id
            """, P("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, ids.ToArray()), Long("t", madeBeforeUnixMs));
        Add(batch, """
            DELETE FROM versions v USING commits c
            WHERE c.id = ANY(@ids) AND c.time < @t AND v.repo = c.repo AND v.commit_id = c.id
            """, P("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, ids.ToArray()), Long("t", madeBeforeUnixMs));
        var commits = Add(batch, "DELETE FROM commits WHERE id = ANY(@ids) AND time < @t",
            P("ids", NpgsqlDbType.Array | NpgsqlDbType.Text, ids.ToArray()), Long("t", madeBeforeUnixMs));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return commits.RecordsAffected;
    }

    public async Task<bool> FreshenChunkAsync(Hash id, Func<CancellationToken, Task<bool>> touch, CancellationToken ct)
    {
        await using var c = await _ds.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(c) { Timeout = LockWaitSeconds })
        {
            Add(batch, "SELECT pg_advisory_xact_lock_shared(@k)", Long("k", PostgresSchema.ChunkSweepLock));
            Add(batch, "INSERT INTO gc_freshened(id, at) VALUES(@id, @t) ON CONFLICT(id) DO UPDATE SET at=excluded.at",
                Bytes("id", id.ToBytes()), Long("t", Now));
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        // Under the shared lock: a sweep batch either committed before (and deleted the chunk, so
        // touch says it is missing) or starts after this commits and sees the record.
        var exists = await touch(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return exists;
    }

    public async Task<int> SweepChunksAsync(IReadOnlyList<Hash> candidates, long freshenedSinceUnixMs,
        Func<IReadOnlyList<Hash>, CancellationToken, Task> delete, CancellationToken ct)
    {
        await using var c = await _ds.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var lockCmd = Cmd(c, "SELECT pg_advisory_xact_lock(@k)", Long("k", PostgresSchema.ChunkSweepLock)))
        {
            lockCmd.CommandTimeout = LockWaitSeconds;
            await lockCmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        // Read after the lock is held, so the snapshot includes every freshening that committed before it.
        HashSet<Hash> fresh;
        await using (var cmd = Cmd(c, "SELECT id FROM gc_freshened WHERE id = ANY(@ids) AND at >= @t",
                         HashArray("ids", candidates.Distinct()), Long("t", freshenedSinceUnixMs)))
            fresh = [.. await ReadAllAsync(cmd, r => Hash.FromBytes(r.GetFieldValue<byte[]>(0)), ct).ConfigureAwait(false)];
        var doomed = candidates.Where(id => !fresh.Contains(id)).ToList();
        if (doomed.Count > 0) await delete(doomed, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return doomed.Count;
    }

    public async Task<bool> RaiseBranchFloorAsync(string repo, string branch, long floor, string droppedBelow, CancellationToken ct)
    {
        // One statement, so one transaction: the dropped root is inserted exactly when the floor rises.
        // The UPDATE row-locks the branch, so of racing raises one rises and the others, re-checking
        // the WHERE once it commits, find the floor already there and record nothing.
        await using var cmd = Cmd("""
            WITH raised AS (UPDATE branches SET floor=@f WHERE repo=@r AND name=@b AND floor < @f RETURNING 1)
            INSERT INTO gc_dropped(kind, ref, dropped) SELECT @k, @ref, @t FROM raised
            """, Long("f", floor), Text("r", repo), Text("b", branch),
            Int("k", (int)DroppedKind.Commit), Bytes("ref", Encoding.UTF8.GetBytes(droppedBelow)), Long("t", Now));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task<int> PurgeFreshenedAsync(long beforeUnixMs, CancellationToken ct)
    {
        await using var cmd = Cmd("DELETE FROM gc_freshened WHERE at < @t", Long("t", beforeUnixMs));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<VersionRow>> ListCommitVersionsAsync(string repo, string commitId, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT key, commit_id, height, is_delete, size, etag, modified FROM versions WHERE repo=@r AND commit_id=@c ORDER BY key",
            Text("r", repo), Text("c", commitId));
        return await ReadAllAsync(cmd, ReadVersion, ct).ConfigureAwait(false);
    }

    public async Task ReplaceCommitVersionsAsync(CommitInfo commit, IReadOnlyCollection<VersionRow> rows, CancellationToken ct)
    {
        await using var batch = _ds.CreateBatch();
        Add(batch, "DELETE FROM versions WHERE repo=@r AND commit_id=@c", Text("r", commit.Repo), Text("c", commit.Id));
        AddVersions(batch, commit, rows);
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
