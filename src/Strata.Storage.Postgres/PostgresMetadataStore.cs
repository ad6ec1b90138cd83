using Npgsql;
using NpgsqlTypes;
using Strata.Core;
using Strata.Core.Auth;
using Strata.Core.Storage;

namespace Strata.Storage.Postgres;

/// <summary>
/// Metadata in a PostgreSQL database shared by any number of nodes: a port of SqliteMetadataStore
/// with the same semantics. Branch heads move by a conditional UPDATE (compare-and-swap) in the
/// transaction that stores the commit, so READ COMMITTED suffices. Tree nodes live here too.
/// An NpgsqlBatch run outside an explicit transaction is one implicit transaction (one Sync).
/// Partial: open commits, uploads, access and garbage collection are in the neighbouring files.
/// </summary>
public sealed partial class PostgresMetadataStore : IMetadataStore, IAccessStore, IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly NpgsqlDataSource _ds;
    private readonly string _host;
    private readonly int _port;

    /// <summary>Builds the connection pool without touching the server; <see cref="OpenAsync"/> is the usual way in.</summary>
    /// <exception cref="ArgumentException">The URL or connection string does not parse.</exception>
    public PostgresMetadataStore(string connectionStringOrUrl)
    {
        var cs = PostgresUrl.ToConnectionString(connectionStringOrUrl);
        var b = new NpgsqlConnectionStringBuilder(cs);
        (_host, _port) = (b.Host ?? "localhost", b.Port);
        _ds = NpgsqlDataSource.Create(cs);
    }

    /// <summary>
    /// Connects (giving up after 10 s) and brings the schema up to date. A server that cannot be
    /// used is a StorageConfigurationException whose message is one line naming the problem.
    /// </summary>
    public static async Task<PostgresMetadataStore> OpenAsync(string connectionStringOrUrl, CancellationToken ct)
    {
        var store = new PostgresMetadataStore(connectionStringOrUrl);
        try
        {
            await store.InitializeAsync(ct).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task InitializeAsync(CancellationToken ct)
    {
        NpgsqlConnection c;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connect.CancelAfter(ConnectTimeout);
            try
            {
                c = await _ds.OpenConnectionAsync(connect.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or NpgsqlException && !ct.IsCancellationRequested)
            {
                throw Unavailable(e);
            }
        }
        await using (c.ConfigureAwait(false))
        {
            try
            {
                await PostgresSchema.MigrateAsync(c, ct).ConfigureAwait(false);
            }
            catch (NpgsqlException e) when (!ct.IsCancellationRequested)
            {
                throw Unavailable(e);
            }
        }
    }

    private StorageConfigurationException Unavailable(Exception e) => new(PostgresErrors.Describe(_host, _port, e), e);

    public ValueTask DisposeAsync() => _ds.DisposeAsync();

    public void Dispose() => _ds.Dispose();

    // Typed parameters: a null must still have a type for "IS NOT DISTINCT FROM" and for inserts.
    private static NpgsqlParameter P(string name, NpgsqlDbType type, object? value) => new(name, type) { Value = value ?? DBNull.Value };
    private static NpgsqlParameter Text(string name, string? value) => P(name, NpgsqlDbType.Text, value);
    private static NpgsqlParameter Bytes(string name, byte[]? value) => P(name, NpgsqlDbType.Bytea, value);
    private static NpgsqlParameter Long(string name, long value) => P(name, NpgsqlDbType.Bigint, value);
    private static NpgsqlParameter Int(string name, int value) => P(name, NpgsqlDbType.Integer, value);

    private NpgsqlCommand Cmd(string sql, params NpgsqlParameter[] ps)
    {
        var cmd = _ds.CreateCommand(sql);
        cmd.Parameters.AddRange(ps);
        return cmd;
    }

    private static NpgsqlCommand Cmd(NpgsqlConnection c, string sql, params NpgsqlParameter[] ps)
    {
        var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddRange(ps);
        return cmd;
    }

    private static NpgsqlBatchCommand Add(NpgsqlBatch batch, string sql, params NpgsqlParameter[] ps)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        cmd.Parameters.AddRange(ps);
        batch.BatchCommands.Add(cmd);
        return cmd;
    }

    private static async Task<List<T>> ReadAllAsync<T>(NpgsqlCommand cmd, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<T>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(read(r));
        return list;
    }

    private static string? NullableString(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static Hash? NullableHash(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : Hash.FromBytes(r.GetFieldValue<byte[]>(i));
    private static DateTimeOffset Time(NpgsqlDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private const string BranchCols = "repo, name, head, created, floor, purges";

    private static BranchInfo ReadBranch(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), NullableString(r, 2), Time(r, 3)) { Floor = r.GetInt64(4), Purges = r.GetInt64(5) };

    public async Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(CancellationToken ct)
    {
        await using var cmd = Cmd($"SELECT {BranchCols} FROM branches ORDER BY repo, name");
        return await ReadAllAsync(cmd, ReadBranch, ct).ConfigureAwait(false);
    }

    public async Task<BranchInfo?> GetBranchAsync(string repo, string branch, CancellationToken ct)
    {
        // The repo's tag marker rides along (one statement, one snapshot), so a GET needs no tag query when it has none.
        await using var cmd = Cmd($"SELECT {BranchCols}, EXISTS(SELECT 1 FROM tagged_repos t WHERE t.repo=branches.repo) FROM branches WHERE repo=@r AND name=@b",
            Text("r", repo), Text("b", branch));
        return (await ReadAllAsync(cmd, r => ReadBranch(r) with { MayHaveObjectTags = r.GetBoolean(6) }, ct).ConfigureAwait(false)).FirstOrDefault();
    }

    public async Task<bool> RepoExistsAsync(string repo, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT 1 FROM repos WHERE name=@r", Text("r", repo));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
    }

    public async Task<bool> CreateBranchAsync(string repo, string branch, string? head, DateTimeOffset created, CancellationToken ct)
    {
        var ms = created.ToUnixTimeMilliseconds();
        // One batch is one implicit transaction. The no-op update locks an existing repo row, so a
        // concurrent DeleteBranch of its last branch (which locks it too) cannot drop it under us.
        await using var batch = _ds.CreateBatch();
        Add(batch, "INSERT INTO repos(name, created) VALUES(@r, @t) ON CONFLICT(name) DO UPDATE SET created = repos.created",
            Text("r", repo), Long("t", ms));
        Add(batch, "INSERT INTO branches(repo, name, head, created) VALUES(@r, @b, @h, @t) ON CONFLICT DO NOTHING",
            Text("r", repo), Text("b", branch), Text("h", head), Long("t", ms));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return batch.BatchCommands[1].RecordsAffected > 0;
    }

    public async Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken ct)
    {
        // The repo row is locked first so that the NOT EXISTS below sees any branch a concurrent
        // CreateBranch adds (READ COMMITTED takes a fresh snapshot per statement). The branch row is
        // locked before its head is recorded as a dropped root, so no commit moves the head in between.
        await using var batch = _ds.CreateBatch();
        Add(batch, "SELECT 1 FROM repos WHERE name=@r FOR UPDATE", Text("r", repo));
        Add(batch, "SELECT 1 FROM branches WHERE repo=@r AND name=@b FOR UPDATE", Text("r", repo), Text("b", branch));
        Add(batch, "INSERT INTO gc_dropped(kind, ref, dropped) SELECT @k, convert_to(head, 'UTF8'), @t FROM branches WHERE repo=@r AND name=@b AND head IS NOT NULL",
            Int("k", (int)DroppedKind.Commit), Long("t", Now), Text("r", repo), Text("b", branch));
        Add(batch, "DELETE FROM branches WHERE repo=@r AND name=@b", Text("r", repo), Text("b", branch));
        Add(batch, "DELETE FROM repos WHERE name=@r AND NOT EXISTS(SELECT 1 FROM branches WHERE repo=@r)", Text("r", repo));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return batch.BatchCommands[3].RecordsAffected > 0;
    }

    private const string CommitCols = "id, repo, parent, root, height, skip, time, message";

    private static CommitInfo ReadCommit(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), NullableString(r, 2), NullableHash(r, 3), r.GetInt64(4), NullableString(r, 5), Time(r, 6), r.GetString(7));

    public async Task<CommitInfo?> GetCommitAsync(string id, CancellationToken ct)
    {
        await using var cmd = Cmd($"SELECT {CommitCols} FROM commits WHERE id=@id", Text("id", id));
        return (await ReadAllAsync(cmd, ReadCommit, ct).ConfigureAwait(false)).FirstOrDefault();
    }

    public async Task<bool> TryCommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
    {
        try
        {
            return await CommitChainAsync(branch, expectedHead, chain, nodes, protectedSinceUnixMs, ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (PostgresErrors.LostToAnotherTransaction(e))
        {
            // Rolled back, nothing written: to the caller it is a race lost like a moved head, and it tries again.
            return false;
        }
    }

    private async Task<bool> CommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
    {
        await using var c = await _ds.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        // The cutoff check, then the CAS, in one round trip. The CAS row-locks the branch, so a loser
        // waits, then finds the head moved and writes nothing.
        var last = chain[^1].Commit;
        await using (var cas = CheckedBatch(c))
        {
            var moved = AddCasHead(cas, branch, expectedHead, last.Repo, last.Id);
            // The root the writer built on, read after the CAS took the branch row in the same round trip: a purge
            // holds that row until it commits, and each statement of a batch gets its own snapshot, so this sees its rewrite.
            var @base = expectedHead is null ? null : chain[0].Base;
            if (@base is not null) Add(cas, "SELECT root AS base_root FROM commits WHERE id=@id", Text("id", expectedHead!));
            Hash? stored = null;
            await ExecuteCheckedAsync(cas, protectedSinceUnixMs, ct, async (r, c2) =>
            {
                // Found by its column's name: the reader passes over statements without rows (the CAS) on its own.
                while (await r.NextResultAsync(c2).ConfigureAwait(false))
                    if (r.FieldCount == 1 && r.GetName(0) == "base_root" && await r.ReadAsync(c2).ConfigureAwait(false) && !r.IsDBNull(0))
                        stored = Hash.FromBytes(r.GetFieldValue<byte[]>(0));
            }).ConfigureAwait(false);
            if (moved.RecordsAffected != 1 || (@base is not null && stored != @base.Root))
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return false;
            }
        }
        await using (var batch = new NpgsqlBatch(c))
        {
            AddNodes(batch, nodes);
            foreach (var n in chain) AddCommit(batch, n.Commit, n.Versions);
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    private static async Task<bool> CasHeadAsync(NpgsqlConnection c, string branch, string? expected, string repo, string id, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(c);
        var moved = AddCasHead(batch, branch, expected, repo, id);
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return moved.RecordsAffected == 1;
    }

    // Sets the head only: the floor (history retention) stays as it is.
    private static NpgsqlBatchCommand AddCasHead(NpgsqlBatch batch, string branch, string? expected, string repo, string id) =>
        Add(batch, "UPDATE branches SET head=@new WHERE repo=@r AND name=@b AND head IS NOT DISTINCT FROM @old",
            Text("new", id), Text("r", repo), Text("b", branch), Text("old", expected));

    private static void AddNodes(NpgsqlBatch batch, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes)
    {
        if (nodes.Count == 0) return;
        // Sorted, so that two transactions inserting overlapping nodes wait on each other in the
        // same order instead of deadlocking; without duplicates, which DO UPDATE refuses.
        var sorted = nodes.DistinctBy(n => n.Key).Select(n => (Id: n.Key.ToBytes(), Data: n.Value)).ToArray();
        Array.Sort(sorted, (a, b) => a.Id.AsSpan().SequenceCompareTo(b.Id));
        // A node that already exists is touched: it may be garbage a running GC would otherwise sweep.
        Add(batch, """
            INSERT INTO nodes(id, data, touched) SELECT i, d, @t FROM unnest(@ids, @datas) AS n(i, d)
            ON CONFLICT(id) DO UPDATE SET touched=excluded.touched
            """,
            P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bytea, sorted.Select(n => n.Id).ToArray()),
            P("datas", NpgsqlDbType.Array | NpgsqlDbType.Bytea, sorted.Select(n => n.Data).ToArray()), Long("t", Now));
    }

    private static void AddCommit(NpgsqlBatch batch, CommitInfo commit, IReadOnlyCollection<VersionRow> versions)
    {
        AddVersions(batch, commit, versions);
        Add(batch, "INSERT INTO commits(id, repo, parent, root, height, skip, time, message) VALUES(@id, @r, @p, @root, @h, @s, @t, @m)",
            Text("id", commit.Id), Text("r", commit.Repo), Text("p", commit.Parent), Bytes("root", commit.Root?.ToBytes()),
            Long("h", commit.Height), Text("s", commit.Skip), Long("t", commit.TimeUnixMs), Text("m", commit.Message));
    }

    private static void AddVersions(NpgsqlBatch batch, CommitInfo commit, IReadOnlyCollection<VersionRow> versions)
    {
        if (versions.Count > 0)
            Add(batch, """
                INSERT INTO versions(repo, key, height, commit_id, is_delete, size, etag, modified)
                SELECT @r, k, @h, @c, d, s, e, m FROM unnest(@k, @d, @s, @e, @m) AS t(k, d, s, e, m)
                ON CONFLICT DO NOTHING
                """,
                Text("r", commit.Repo), Long("h", commit.Height), Text("c", commit.Id),
                P("k", NpgsqlDbType.Array | NpgsqlDbType.Text, versions.Select(v => v.Key).ToArray()),
                P("d", NpgsqlDbType.Array | NpgsqlDbType.Boolean, versions.Select(v => v.IsDelete).ToArray()),
                P("s", NpgsqlDbType.Array | NpgsqlDbType.Bigint, versions.Select(v => v.Size).ToArray()),
                P("e", NpgsqlDbType.Array | NpgsqlDbType.Text, versions.Select(v => v.ETag).ToArray()),
                P("m", NpgsqlDbType.Array | NpgsqlDbType.Bigint, versions.Select(v => v.ModifiedUnixMs).ToArray()));
        foreach (var v in versions)
            if (v.Tags is { Count: > 0 } tags)
                Add(batch, UpsertTags,
                    Text("r", commit.Repo), Text("k", v.Key), Text("c", commit.Id), Text("t", TagSet.Encode(tags)));
    }

    public async Task<byte[]?> GetNodeAsync(Hash id, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT data FROM nodes WHERE id=@id", Bytes("id", id.ToBytes()));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as byte[];
    }

    /// <summary>
    /// Keys with the prefix, from the marker on, as a range the COLLATE "C" (UTF-8 byte) indexes can
    /// seek: [max(prefix, marker), prefix + U+10FFFF).
    /// </summary>
    private static (string Lo, string Hi) PrefixRange(string prefix, string marker) =>
        (Strata.Core.Tree.KeyOrder.Instance.Compare(marker, prefix) > 0 ? marker : prefix, prefix + "\U0010FFFF");

    private static VersionRow ReadVersion(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetBoolean(3), r.GetInt64(4), r.GetString(5), r.GetInt64(6));

    public async Task<IReadOnlyList<VersionRow>> ListVersionsAsync(string repo, string prefix, string keyMarker, long heightMarker, int limit, CancellationToken ct)
    {
        // Range bounds (not LIKE or OR) so that versions_newest_first answers in O(log n + page).
        var (lo, hi) = PrefixRange(prefix, keyMarker);
        await using var cmd = Cmd("""
            SELECT key, commit_id, height, is_delete, size, etag, modified FROM versions
            WHERE repo=@r AND key >= @lo AND key < @hi AND NOT (key = @k AND height >= @h)
            ORDER BY key, height DESC LIMIT @n
            """, Text("r", repo), Text("lo", lo), Text("hi", hi), Text("k", keyMarker), Long("h", heightMarker), Int("n", limit));
        return await ReadAllAsync(cmd, ReadVersion, ct).ConfigureAwait(false);
    }

    public async Task<VersionRow?> GetVersionAsync(string repo, string key, string commitId, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT key, commit_id, height, is_delete, size, etag, modified FROM versions WHERE repo=@r AND commit_id=@c AND key=@k",
            Text("r", repo), Text("c", commitId), Text("k", key));
        return (await ReadAllAsync(cmd, ReadVersion, ct).ConfigureAwait(false)).FirstOrDefault();
    }
}
