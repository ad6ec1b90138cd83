using Microsoft.Data.Sqlite;
using Strata.Core;
using Strata.Core.Storage;

namespace Strata.Storage.Sqlite;

// Purges (permanent version deletes): one BEGIN IMMEDIATE transaction, so the checks and the
// rewrite are ordered with every commit to the repo.
public sealed partial class SqliteMetadataStore
{
    public Task<long?> TryPurgeAsync(PurgeChange p, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        RequireNotExpired(c, tx, protectedSinceUnixMs);
        if (!BranchesAsSeen(c, tx, p) || p.Reaching.Any(b => HasOpenCommit(c, tx, p.Repo, b)))
        {
            tx.Rollback();
            return Task.FromResult<long?>(null);
        }
        InsertNodes(c, tx, nodes);
        using (var up = Cmd(c, "UPDATE commits SET root=$new WHERE id=$id AND repo=$r AND root IS $old", ("$r", p.Repo)))
        {
            up.Transaction = tx;
            var pid = up.Parameters.Add("$id", SqliteType.Text);
            var pold = up.Parameters.Add("$old", SqliteType.Blob);
            var pnew = up.Parameters.Add("$new", SqliteType.Blob);
            foreach (var rw in p.Rewrites)
            {
                pid.Value = rw.CommitId;
                pold.Value = (object?)rw.OldRoot?.ToBytes() ?? DBNull.Value;
                pnew.Value = (object?)rw.NewRoot?.ToBytes() ?? DBNull.Value;
                if (up.ExecuteNonQuery() != 1)
                {
                    tx.Rollback();
                    return Task.FromResult<long?>(null);
                }
            }
        }
        // The replaced trees stay roots for the GC grace period: readers that opened them may still be reading.
        foreach (var old in p.Rewrites.Select(w => w.OldRoot).OfType<Hash>().Distinct())
            Run(c, tx, "INSERT INTO gc_dropped(kind, ref, dropped) VALUES($k, $r, $t)", ("$k", (int)DroppedKind.Tree), ("$r", old.ToBytes()), ("$t", Now));
        foreach (var (key, version) in p.Versions)
        {
            Run(c, tx, "DELETE FROM versions WHERE repo=$r AND key=$k AND commit_id=$v", ("$r", p.Repo), ("$k", key), ("$v", version));
            Run(c, tx, "DELETE FROM object_tags WHERE repo=$r AND key=$k AND commit_id=$v", ("$r", p.Repo), ("$k", key), ("$v", version));
            Run(c, tx, "INSERT OR IGNORE INTO purged(repo, key, commit_id, at) VALUES($r, $k, $v, $t)", ("$r", p.Repo), ("$k", key), ("$v", version), ("$t", Now));
        }
        var count = Scalar(c, tx, "SELECT max(purges) FROM branches WHERE repo=$r", ("$r", p.Repo)) + 1;
        Run(c, tx, "UPDATE branches SET purges=$n WHERE repo=$r", ("$n", count), ("$r", p.Repo));
        foreach (var a in p.Audit)
            Run(c, tx, "INSERT INTO audit(at, actor, action, target, detail) VALUES($t, $a, $x, $g, $d)",
                ("$t", a.Time.ToUnixTimeMilliseconds()), ("$a", a.Actor), ("$x", a.Action), ("$g", a.Target), ("$d", a.Detail));
        tx.Commit();
        return Task.FromResult<long?>(count);
    }

    private static bool BranchesAsSeen(SqliteConnection c, SqliteTransaction tx, PurgeChange p)
    {
        var now = new Dictionary<string, string?>(StringComparer.Ordinal);
        using (var cmd = Cmd(c, "SELECT name, head FROM branches WHERE repo=$r", ("$r", p.Repo)))
        {
            cmd.Transaction = tx;
            using var r = cmd.ExecuteReader();
            while (r.Read()) now[r.GetString(0)] = r.IsDBNull(1) ? null : r.GetString(1);
        }
        return now.Count == p.Branches.Count && p.Branches.All(b => now.TryGetValue(b.Key, out var h) && h == b.Value);
    }

    private static bool HasOpenCommit(SqliteConnection c, SqliteTransaction tx, string repo, string branch)
    {
        using var cmd = Cmd(c, "SELECT 1 FROM open_commits WHERE repo=$r AND branch=$b", ("$r", repo), ("$b", branch));
        cmd.Transaction = tx;
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>The root of a commit as stored now, to check a writer built on it (a purge may have rewritten it).</summary>
    private static bool RootIs(SqliteConnection c, SqliteTransaction tx, string commitId, Hash? root)
    {
        using var cmd = Cmd(c, "SELECT root FROM commits WHERE id=$id", ("$id", commitId));
        cmd.Transaction = tx;
        var stored = cmd.ExecuteScalar() is byte[] b ? Hash.FromBytes(b) : (Hash?)null;
        return stored == root;
    }

    public Task<bool> WasPurgedAsync(string repo, string key, string versionId, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT 1 FROM purged WHERE repo=$r AND key=$k AND commit_id=$v", ("$r", repo), ("$k", key), ("$v", versionId));
        return Task.FromResult(cmd.ExecuteScalar() is not null);
    }
}
