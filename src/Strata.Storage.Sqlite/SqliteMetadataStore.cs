using Microsoft.Data.Sqlite;
using Strata.Core;
using Strata.Core.Auth;
using Strata.Core.Storage;

namespace Strata.Storage.Sqlite;

/// <summary>
/// Metadata in one SQLite file (WAL, synchronous=FULL so a committed transaction survives a
/// crash). Tree nodes live here too. The head CAS is a conditional UPDATE, the same statement
/// a PostgreSQL store uses.
/// </summary>
public sealed partial class SqliteMetadataStore : IMetadataStore, IAccessStore, IDisposable
{
    private readonly string _cs;

    public SqliteMetadataStore(string path)
    {
        _cs = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var c = Open();
        Exec(c, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS repos(name TEXT PRIMARY KEY, created INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS branches(repo TEXT NOT NULL, name TEXT NOT NULL, head TEXT,
                created INTEGER NOT NULL, PRIMARY KEY(repo, name));
            CREATE TABLE IF NOT EXISTS commits(id TEXT PRIMARY KEY, repo TEXT NOT NULL, parent TEXT,
                root BLOB, height INTEGER NOT NULL, skip TEXT, time INTEGER NOT NULL, message TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS nodes(id BLOB PRIMARY KEY, data BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS uploads(id TEXT PRIMARY KEY, repo TEXT NOT NULL, branch TEXT NOT NULL,
                key TEXT NOT NULL, created INTEGER NOT NULL, headers BLOB NOT NULL, checksum_algorithm TEXT, checksum_type TEXT,
                completion BLOB);
            CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(repo, branch, key, id);
            CREATE TABLE IF NOT EXISTS parts(upload_id TEXT NOT NULL, number INTEGER NOT NULL, size INTEGER NOT NULL,
                md5 BLOB NOT NULL, chunks BLOB NOT NULL, checksums BLOB NOT NULL, modified INTEGER NOT NULL,
                PRIMARY KEY(upload_id, number));
            CREATE TABLE IF NOT EXISTS versions(repo TEXT NOT NULL, key TEXT NOT NULL, height INTEGER NOT NULL,
                commit_id TEXT NOT NULL, is_delete INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
                modified INTEGER NOT NULL, PRIMARY KEY(repo, key, height, commit_id)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS versions_by_commit ON versions(repo, commit_id, key);
            -- Versions erased by a purge (permanent version delete).
            CREATE TABLE IF NOT EXISTS purged(repo TEXT NOT NULL, key TEXT NOT NULL, commit_id TEXT NOT NULL, at INTEGER NOT NULL,
                PRIMARY KEY(repo, key, commit_id)) WITHOUT ROWID;
            -- Listings read a key's versions newest first: this order is what the index must give.
            CREATE INDEX IF NOT EXISTS versions_newest_first ON versions(repo, key, height DESC);
            CREATE TABLE IF NOT EXISTS open_commits(repo TEXT NOT NULL, branch TEXT NOT NULL, id TEXT NOT NULL,
                base TEXT, root BLOB, started INTEGER NOT NULL, PRIMARY KEY(repo, branch));
            CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, admin INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS roles(user TEXT NOT NULL, repo TEXT NOT NULL, role INTEGER NOT NULL, PRIMARY KEY(user, repo));
            CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS gc_dropped(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL, ref BLOB NOT NULL, dropped INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS gc_freshened(id BLOB PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS leases(name TEXT PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL);
            INSERT OR IGNORE INTO settings(key, value) VALUES('gc_cutoff', '0');
            """);
        MigrateColumns(c);
        Migrate(c);
    }

    // Physical connections (pooled ones come back) already set up: the pragmas are per connection and
    // stay, so they run once per connection instead of before every statement.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> _setUp = new();

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_cs);
        c.Open();
        if (c.Handle is { } h && !_setUp.TryGetValue(h, out _))
        {
            // A checkpoint copies every page changed since the last one into the database file: at 32 MiB of
            // WAL instead of SQLite's 4 MiB, pages that many commits touch (index pages, the branch row) are
            // copied once per checkpoint rather than once per few commits (~20% fewer bytes per small PUT).
            Exec(c, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA wal_autocheckpoint=8192;");
            _setUp.AddOrUpdate(h, h);
        }
        return c;
    }

    private static void Exec(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    private static SqliteCommand Cmd(SqliteConnection c, string sql, params (string Name, object? Value)[] ps)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        return cmd;
    }

    private static BranchInfo ReadBranch(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3))) { Floor = r.GetInt64(4), Purges = r.GetInt64(5) };

    public Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT repo, name, head, created, floor, purges FROM branches ORDER BY repo, name");
        using var r = cmd.ExecuteReader();
        var list = new List<BranchInfo>();
        while (r.Read()) list.Add(ReadBranch(r));
        return Task.FromResult<IReadOnlyList<BranchInfo>>(list);
    }

    // Branch reads (one per request) go through one connection that never writes, with prepared
    // statements, and are cached until its PRAGMA data_version moves: that value changes whenever
    // any other connection, of this process or another one sharing the file, commits a change.
    private readonly Lock _branchLock = new();
    private SqliteConnection? _branchConn;
    private SqliteCommand? _dataVersion, _readBranch;
    private long _branchVersion = -1;
    private readonly Dictionary<(string Repo, string Name), BranchInfo> _branches = [];
    private const int MaxCachedBranches = 4096;

    public Task<BranchInfo?> GetBranchAsync(string repo, string branch, CancellationToken ct)
    {
        lock (_branchLock)
        {
            if (_branchConn is null)
            {
                var c = Open();
                _dataVersion = Cmd(c, "PRAGMA data_version");
                _dataVersion.Prepare();
                _readBranch = Cmd(c, """
                    SELECT repo, name, head, created, floor, purges, EXISTS(SELECT 1 FROM tagged_repos t WHERE t.repo=branches.repo)
                    FROM branches WHERE repo=$r AND name=$b
                    """, ("$r", ""), ("$b", ""));
                _readBranch.Prepare();
                _branchConn = c;
            }
            // Read before the row: a commit between the two moves the next value, so the entry goes.
            var version = (long)_dataVersion!.ExecuteScalar()!;
            if (version != _branchVersion)
            {
                _branches.Clear();
                _branchVersion = version;
            }
            if (_branches.TryGetValue((repo, branch), out var cached)) return Task.FromResult<BranchInfo?>(cached);
            _readBranch!.Parameters["$r"].Value = repo;
            _readBranch.Parameters["$b"].Value = branch;
            using var r = _readBranch.ExecuteReader();
            if (!r.Read()) return Task.FromResult<BranchInfo?>(null);
            var found = ReadBranch(r) with { MayHaveObjectTags = r.GetInt64(6) != 0 };
            if (_branches.Count < MaxCachedBranches) _branches[(repo, branch)] = found;
            return Task.FromResult<BranchInfo?>(found);
        }
    }

    /// <summary>Closes the branch-read connection (pooled connections are the pool's).</summary>
    public void Dispose()
    {
        lock (_branchLock)
        {
            _dataVersion?.Dispose();
            _readBranch?.Dispose();
            _branchConn?.Dispose();
            _branchConn = null;
            _branches.Clear();
            _branchVersion = -1;
        }
    }

    public Task<bool> RepoExistsAsync(string repo, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT 1 FROM repos WHERE name=$r", ("$r", repo));
        return Task.FromResult(cmd.ExecuteScalar() is not null);
    }

    public Task<bool> CreateBranchAsync(string repo, string branch, string? head, DateTimeOffset created, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var ms = created.ToUnixTimeMilliseconds();
        using (var cmd = Cmd(c, "INSERT OR IGNORE INTO repos(name, created) VALUES($r, $t)", ("$r", repo), ("$t", ms)))
        {
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
        }
        int n;
        using (var cmd = Cmd(c, "INSERT OR IGNORE INTO branches(repo, name, head, created) VALUES($r, $b, $h, $t)",
                   ("$r", repo), ("$b", branch), ("$h", head), ("$t", ms)))
        {
            cmd.Transaction = tx;
            n = cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return Task.FromResult(n > 0);
    }

    public Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        int n;
        using (var drop = Cmd(c, "INSERT INTO gc_dropped(kind, ref, dropped) SELECT $k, CAST(head AS BLOB), $t FROM branches WHERE repo=$r AND name=$b AND head IS NOT NULL",
                   ("$k", (int)DroppedKind.Commit), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ("$r", repo), ("$b", branch)))
        {
            drop.Transaction = tx;
            drop.ExecuteNonQuery();
        }
        using (var cmd = Cmd(c, "DELETE FROM branches WHERE repo=$r AND name=$b", ("$r", repo), ("$b", branch)))
        {
            cmd.Transaction = tx;
            n = cmd.ExecuteNonQuery();
        }
        using (var cmd = Cmd(c, "DELETE FROM repos WHERE name=$r AND NOT EXISTS(SELECT 1 FROM branches WHERE repo=$r)", ("$r", repo)))
        {
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return Task.FromResult(n > 0);
    }

    public Task<CommitInfo?> GetCommitAsync(string id, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT id, repo, parent, root, height, skip, time, message FROM commits WHERE id=$id", ("$id", id));
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() ? ReadCommit(r) : null);
    }

    private static CommitInfo ReadCommit(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
        r.IsDBNull(3) ? null : Hash.FromBytes((byte[])r.GetValue(3)), r.GetInt64(4),
        r.IsDBNull(5) ? null : r.GetString(5), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), r.GetString(7));

    public Task<bool> TryCommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(); // BEGIN IMMEDIATE: ordered with the GC cutoff's publication
        RequireNotExpired(c, tx, protectedSinceUnixMs);
        if (!CasHead(c, tx, branch, expectedHead, chain[^1].Commit.Repo, chain[^1].Commit.Id)
            || (expectedHead is not null && chain[0].Base is { } b && !RootIs(c, tx, expectedHead, b.Root)))
        {
            tx.Rollback();
            return Task.FromResult(false);
        }
        InsertNodes(c, tx, nodes);
        foreach (var n in chain) InsertCommit(c, tx, n.Commit, n.Versions);
        tx.Commit();
        return Task.FromResult(true);
    }

    private static bool CasHead(SqliteConnection c, SqliteTransaction tx, string branch, string? expected, string repo, string id)
    {
        using var cas = Cmd(c, "UPDATE branches SET head=$new WHERE repo=$r AND name=$b AND head IS $old",
            ("$new", id), ("$r", repo), ("$b", branch), ("$old", expected));
        cas.Transaction = tx;
        return cas.ExecuteNonQuery() == 1;
    }

    private static void InsertNodes(SqliteConnection c, SqliteTransaction tx, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes)
    {
        // A node that already exists is touched: it may be garbage a running GC would otherwise sweep.
        using var ins = Cmd(c, "INSERT INTO nodes(id, data, touched) VALUES($id, $d, $t) ON CONFLICT(id) DO UPDATE SET touched=excluded.touched",
            ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        ins.Transaction = tx;
        var pid = ins.Parameters.Add("$id", SqliteType.Blob);
        var pd = ins.Parameters.Add("$d", SqliteType.Blob);
        foreach (var (id, data) in nodes)
        {
            pid.Value = id.ToBytes();
            pd.Value = data;
            ins.ExecuteNonQuery();
        }
    }

    private static void InsertCommit(SqliteConnection c, SqliteTransaction tx, CommitInfo commit, IReadOnlyCollection<VersionRow> versions)
    {
        InsertVersions(c, tx, commit, versions);
        using var cmd = Cmd(c, "INSERT INTO commits(id, repo, parent, root, height, skip, time, message) VALUES($id,$r,$p,$root,$h,$s,$t,$m)",
            ("$id", commit.Id), ("$r", commit.Repo), ("$p", commit.Parent), ("$root", commit.Root?.ToBytes()),
            ("$h", commit.Height), ("$s", commit.Skip), ("$t", commit.TimeUnixMs), ("$m", commit.Message));
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    private static void InsertVersions(SqliteConnection c, SqliteTransaction tx, CommitInfo commit, IReadOnlyCollection<VersionRow> versions)
    {
        using (var ins = Cmd(c, "INSERT OR IGNORE INTO versions(repo, key, height, commit_id, is_delete, size, etag, modified) VALUES($r,$k,$h,$c,$d,$s,$e,$m)"))
        {
            ins.Transaction = tx;
            var pk = ins.Parameters.Add("$k", SqliteType.Text);
            var pd = ins.Parameters.Add("$d", SqliteType.Integer);
            var ps = ins.Parameters.Add("$s", SqliteType.Integer);
            var pe = ins.Parameters.Add("$e", SqliteType.Text);
            var pm = ins.Parameters.Add("$m", SqliteType.Integer);
            ins.Parameters.AddWithValue("$r", commit.Repo);
            ins.Parameters.AddWithValue("$h", commit.Height);
            ins.Parameters.AddWithValue("$c", commit.Id);
            foreach (var v in versions)
            {
                pk.Value = v.Key;
                pd.Value = v.IsDelete ? 1 : 0;
                ps.Value = v.Size;
                pe.Value = v.ETag;
                pm.Value = v.ModifiedUnixMs;
                ins.ExecuteNonQuery();
            }
        }
        foreach (var v in versions)
        {
            if (v.Tags is not { Count: > 0 } tags) continue;
            using var tag = Cmd(c, UpsertTags,
                ("$r", commit.Repo), ("$k", v.Key), ("$c", commit.Id), ("$t", TagSet.Encode(tags)));
            tag.Transaction = tx;
            tag.ExecuteNonQuery();
        }
    }

    public Task<OpenCommit?> GetOpenCommitAsync(string repo, string branch, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT id, base, root, started FROM open_commits WHERE repo=$r AND branch=$b", ("$r", repo), ("$b", branch));
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read()
            ? new OpenCommit(r.GetString(0), repo, branch, r.IsDBNull(1) ? null : r.GetString(1),
                r.IsDBNull(2) ? null : Hash.FromBytes((byte[])r.GetValue(2)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)))
            : null);
    }

    public Task<bool> StartCommitAsync(OpenCommit o, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "INSERT OR IGNORE INTO open_commits(repo, branch, id, base, root, started) VALUES($r,$b,$id,$base,$root,$t)",
            ("$r", o.Repo), ("$b", o.Branch), ("$id", o.Id), ("$base", o.Base), ("$root", o.Root?.ToBytes()), ("$t", o.Started.ToUnixTimeMilliseconds()));
        return Task.FromResult(cmd.ExecuteNonQuery() == 1);
    }

    public Task<bool> TryUpdateOpenCommitAsync(OpenCommit o, Hash? expectedRoot, Hash? newRoot,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        RequireNotExpired(c, tx, protectedSinceUnixMs);
        using (var cas = Cmd(c, "UPDATE open_commits SET root=$new WHERE repo=$r AND branch=$b AND id=$id AND root IS $old",
                   ("$new", newRoot?.ToBytes()), ("$r", o.Repo), ("$b", o.Branch), ("$id", o.Id), ("$old", expectedRoot?.ToBytes())))
        {
            cas.Transaction = tx;
            if (cas.ExecuteNonQuery() != 1)
            {
                tx.Rollback();
                return Task.FromResult(false);
            }
        }
        InsertNodes(c, tx, nodes);
        tx.Commit();
        return Task.FromResult(true);
    }

    public Task<bool> TryFinishCommitAsync(OpenCommit open, CommitInfo commit, IReadOnlyCollection<VersionRow> versions, long protectedSinceUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        RequireNotExpired(c, tx, protectedSinceUnixMs);
        int closed;
        using (var del = Cmd(c, "DELETE FROM open_commits WHERE repo=$r AND branch=$b AND id=$id AND root IS $root",
                   ("$r", open.Repo), ("$b", open.Branch), ("$id", open.Id), ("$root", open.Root?.ToBytes())))
        {
            del.Transaction = tx;
            closed = del.ExecuteNonQuery();
        }
        if (closed != 1 || !CasHead(c, tx, open.Branch, open.Base, commit.Repo, commit.Id))
        {
            tx.Rollback();
            return Task.FromResult(false);
        }
        InsertCommit(c, tx, commit, versions);
        tx.Commit();
        return Task.FromResult(true);
    }

    public Task<bool> AbandonCommitAsync(string repo, string branch, string id, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "DELETE FROM open_commits WHERE repo=$r AND branch=$b AND id=$id", ("$r", repo), ("$b", branch), ("$id", id));
        return Task.FromResult(cmd.ExecuteNonQuery() == 1);
    }

    public Task<byte[]?> GetNodeAsync(Hash id, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT data FROM nodes WHERE id=$id", ("$id", id.ToBytes()));
        return Task.FromResult(cmd.ExecuteScalar() as byte[]);
    }

    private const string UploadCols = "id, repo, branch, key, created, headers, checksum_algorithm, checksum_type, completion";

    private static UploadInfo ReadUpload(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
        BinaryCodec.Decode((byte[])r.GetValue(5), BinaryCodec.ReadPairs), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
        r.IsDBNull(8) ? null : BinaryCodec.Decode((byte[])r.GetValue(8), BinaryCodec.ReadPairs));

    private static List<UploadInfo> ReadUploads(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<UploadInfo>();
        while (r.Read()) list.Add(ReadUpload(r));
        return list;
    }

    public Task CreateUploadAsync(UploadInfo u, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, $"INSERT INTO uploads({UploadCols}) VALUES($id,$r,$b,$k,$t,$h,$ca,$ct,NULL)",
            ("$id", u.Id), ("$r", u.Repo), ("$b", u.Branch), ("$k", u.Key), ("$t", u.Created.ToUnixTimeMilliseconds()),
            ("$h", BinaryCodec.Encode(w => BinaryCodec.WritePairs(w, u.Headers))), ("$ca", u.ChecksumAlgorithm), ("$ct", u.ChecksumType));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<UploadInfo?> GetUploadAsync(string uploadId, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, $"SELECT {UploadCols} FROM uploads WHERE id=$id", ("$id", uploadId));
        return Task.FromResult(ReadUploads(cmd).FirstOrDefault());
    }

    public Task<IReadOnlyList<UploadInfo>> ListUploadsAsync(string repo, string branch, string prefix, string keyMarker, string uploadIdMarker, int limit, CancellationToken ct)
    {
        using var c = Open();
        var (lo, hi) = PrefixRange(prefix, keyMarker);
        using var cmd = Cmd(c, $"""
            SELECT {UploadCols} FROM uploads WHERE repo=$r AND branch=$b AND completion IS NULL AND key >= $lo AND key < $hi
              AND NOT (key = $km AND id <= $im) ORDER BY key, id LIMIT $n
            """, ("$r", repo), ("$b", branch), ("$lo", lo), ("$hi", hi), ("$km", keyMarker), ("$im", uploadIdMarker), ("$n", limit));
        return Task.FromResult<IReadOnlyList<UploadInfo>>(ReadUploads(cmd));
    }

    public Task<IReadOnlyList<UploadInfo>> ListUploadsCreatedBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, $"SELECT {UploadCols} FROM uploads WHERE created < $t ORDER BY created LIMIT $n",
            ("$t", before.ToUnixTimeMilliseconds()), ("$n", limit));
        return Task.FromResult<IReadOnlyList<UploadInfo>>(ReadUploads(cmd));
    }

    public Task<long> CountUploadsAsync(CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT count(*) FROM uploads");
        return Task.FromResult(cmd.ExecuteScalar() is long n ? n : 0);
    }

    public Task<bool> PutPartAsync(PartInfo p, long protectedSinceUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        RequireNotExpired(c, tx, protectedSinceUnixMs);
        using (var check = Cmd(c, "SELECT 1 FROM uploads WHERE id=$id AND completion IS NULL", ("$id", p.UploadId)))
        {
            check.Transaction = tx;
            if (check.ExecuteScalar() is null) return Task.FromResult(false);
        }
        DropParts(c, tx, p.UploadId, p.Number);
        using (var cmd = Cmd(c, "INSERT OR REPLACE INTO parts(upload_id, number, size, md5, chunks, checksums, modified) VALUES($u,$n,$s,$m,$c,$cs,$t)",
                   ("$u", p.UploadId), ("$n", p.Number), ("$s", p.Size), ("$m", p.Md5),
                   ("$c", BinaryCodec.Encode(w => BinaryCodec.WriteChunks(w, p.Chunks))),
                   ("$cs", BinaryCodec.Encode(w => BinaryCodec.WritePairs(w, p.Checksums))), ("$t", p.Modified.ToUnixTimeMilliseconds())))
        {
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<PartInfo>> ListPartsAsync(string uploadId, int afterNumber, int limit, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT upload_id, number, size, md5, chunks, checksums, modified FROM parts WHERE upload_id=$u AND number > $a ORDER BY number LIMIT $n",
            ("$u", uploadId), ("$a", afterNumber), ("$n", limit));
        return Task.FromResult<IReadOnlyList<PartInfo>>(ReadParts(cmd));
    }

    private static List<PartInfo> ReadParts(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<PartInfo>();
        while (r.Read())
            list.Add(new PartInfo(r.GetString(0), r.GetInt32(1), r.GetInt64(2), (byte[])r.GetValue(3),
                BinaryCodec.Decode((byte[])r.GetValue(4), BinaryCodec.ReadChunks), BinaryCodec.Decode((byte[])r.GetValue(5), BinaryCodec.ReadPairs),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6))));
        return list;
    }

    public Task<bool> DeleteUploadAsync(string uploadId, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        int n;
        DropParts(c, tx, uploadId, null);
        using (var cmd = Cmd(c, "DELETE FROM parts WHERE upload_id=$u", ("$u", uploadId))) { cmd.Transaction = tx; cmd.ExecuteNonQuery(); }
        using (var cmd = Cmd(c, "DELETE FROM uploads WHERE id=$u", ("$u", uploadId))) { cmd.Transaction = tx; n = cmd.ExecuteNonQuery(); }
        tx.Commit();
        return Task.FromResult(n > 0);
    }

    public Task MarkUploadCompletedAsync(string uploadId, IReadOnlyList<KeyValuePair<string, string>> completion, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        DropParts(c, tx, uploadId, null);
        using (var cmd = Cmd(c, "DELETE FROM parts WHERE upload_id=$u", ("$u", uploadId))) { cmd.Transaction = tx; cmd.ExecuteNonQuery(); }
        using (var cmd = Cmd(c, "UPDATE uploads SET completion=$c WHERE id=$u",
                   ("$u", uploadId), ("$c", BinaryCodec.Encode(w => BinaryCodec.WritePairs(w, completion)))))
        {
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Keys with the prefix, from the marker on, as a range SQLite's BINARY (UTF-8 byte) order can
    /// seek: [max(prefix, marker), prefix + U+10FFFF).
    /// </summary>
    private static (string Lo, string Hi) PrefixRange(string prefix, string marker) =>
        (Strata.Core.Tree.KeyOrder.Instance.Compare(marker, prefix) > 0 ? marker : prefix, prefix + "\U0010FFFF");

    private static VersionRow ReadVersion(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3) != 0, r.GetInt64(4), r.GetString(5), r.GetInt64(6));

    public Task<IReadOnlyList<VersionRow>> ListVersionsAsync(string repo, string prefix, string keyMarker, long heightMarker, int limit, CancellationToken ct)
    {
        using var c = Open();
        // Range bounds (not substr or OR) so that the primary key index answers in O(log n + page).
        var (lo, hi) = PrefixRange(prefix, keyMarker);
        using var cmd = Cmd(c, """
            SELECT key, commit_id, height, is_delete, size, etag, modified FROM versions
            WHERE repo=$r AND key >= $lo AND key < $hi AND NOT (key = $k AND height >= $h)
            ORDER BY key, height DESC LIMIT $n
            """, ("$r", repo), ("$lo", lo), ("$hi", hi), ("$k", keyMarker), ("$h", heightMarker), ("$n", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<VersionRow>();
        while (r.Read()) list.Add(ReadVersion(r));
        return Task.FromResult<IReadOnlyList<VersionRow>>(list);
    }

    public Task<VersionRow?> GetVersionAsync(string repo, string key, string commitId, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT key, commit_id, height, is_delete, size, etag, modified FROM versions WHERE repo=$r AND commit_id=$c AND key=$k",
            ("$r", repo), ("$c", commitId), ("$k", key));
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() ? ReadVersion(r) : null);
    }
}
