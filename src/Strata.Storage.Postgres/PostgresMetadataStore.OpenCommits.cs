using Npgsql;
using Strata.Core;

namespace Strata.Storage.Postgres;

// Explicit commits: at most one open commit per branch, its root moved by compare-and-swap.
public sealed partial class PostgresMetadataStore
{
    public async Task<OpenCommit?> GetOpenCommitAsync(string repo, string branch, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT id, base, root, started FROM open_commits WHERE repo=@r AND branch=@b", Text("r", repo), Text("b", branch));
        var list = await ReadAllAsync(cmd, r => new OpenCommit(r.GetString(0), repo, branch, NullableString(r, 1), NullableHash(r, 2), Time(r, 3)), ct)
            .ConfigureAwait(false);
        return list.FirstOrDefault();
    }

    public async Task<bool> StartCommitAsync(OpenCommit o, CancellationToken ct)
    {
        await using var cmd = Cmd("INSERT INTO open_commits(repo, branch, id, base, root, started) VALUES(@r, @b, @id, @base, @root, @t) ON CONFLICT DO NOTHING",
            Text("r", o.Repo), Text("b", o.Branch), Text("id", o.Id), Text("base", o.Base), Bytes("root", o.Root?.ToBytes()),
            Long("t", o.Started.ToUnixTimeMilliseconds()));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task<bool> TryUpdateOpenCommitAsync(OpenCommit o, Hash? expectedRoot, Hash? newRoot,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct)
    {
        await using var c = await _ds.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cas = CheckedBatch(c))
        {
            var moved = Add(cas, "UPDATE open_commits SET root=@new WHERE repo=@r AND branch=@b AND id=@id AND root IS NOT DISTINCT FROM @old",
                Bytes("new", newRoot?.ToBytes()), Text("r", o.Repo), Text("b", o.Branch), Text("id", o.Id), Bytes("old", expectedRoot?.ToBytes()));
            await ExecuteCheckedAsync(cas, protectedSinceUnixMs, ct).ConfigureAwait(false);
            if (moved.RecordsAffected != 1)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return false;
            }
        }
        if (nodes.Count > 0)
        {
            await using var batch = new NpgsqlBatch(c);
            AddNodes(batch, nodes);
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> TryFinishCommitAsync(OpenCommit open, CommitInfo commit, IReadOnlyCollection<VersionRow> versions,
        long protectedSinceUnixMs, CancellationToken ct)
    {
        await using var c = await _ds.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        // The DELETE row-locks the open commit, so a concurrent TryUpdateOpenCommit either finished
        // before (and the root no longer matches) or finds the row gone; the CAS then guards the head.
        int closed;
        await using (var del = CheckedBatch(c))
        {
            var delete = Add(del, "DELETE FROM open_commits WHERE repo=@r AND branch=@b AND id=@id AND root IS NOT DISTINCT FROM @root",
                Text("r", open.Repo), Text("b", open.Branch), Text("id", open.Id), Bytes("root", open.Root?.ToBytes()));
            await ExecuteCheckedAsync(del, protectedSinceUnixMs, ct).ConfigureAwait(false);
            closed = delete.RecordsAffected;
        }
        if (closed != 1 || !await CasHeadAsync(c, open.Branch, open.Base, commit.Repo, commit.Id, ct).ConfigureAwait(false))
        {
            await tx.RollbackAsync(ct).ConfigureAwait(false);
            return false;
        }
        await using (var batch = new NpgsqlBatch(c))
        {
            AddCommit(batch, commit, versions);
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> AbandonCommitAsync(string repo, string branch, string id, CancellationToken ct)
    {
        await using var cmd = Cmd("DELETE FROM open_commits WHERE repo=@r AND branch=@b AND id=@id", Text("r", repo), Text("b", branch), Text("id", id));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }
}
