using NpgsqlTypes;
using Strata.Core.Auth;

namespace Strata.Storage.Postgres;

// Users, tokens, roles, and the root token every node sharing the database agrees on.
public sealed partial class PostgresMetadataStore
{
    public async Task<Principal?> FindTokenAsync(string token, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT u.name, u.admin FROM tokens t JOIN users u ON u.name = t.user_name WHERE t.token=@t", Text("t", token));
        var list = await ReadAllAsync(cmd, r => new Principal(r.GetString(0), r.GetBoolean(1), token), ct).ConfigureAwait(false);
        return list.FirstOrDefault();
    }

    public async Task CreateUserAsync(string user, bool admin, CancellationToken ct)
    {
        await using var cmd = Cmd("INSERT INTO users(name, admin) VALUES(@u, @a) ON CONFLICT(name) DO UPDATE SET admin=excluded.admin",
            Text("u", user), P("a", NpgsqlDbType.Boolean, admin));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task AddTokenAsync(string user, string token, CancellationToken ct)
    {
        await using var cmd = Cmd("INSERT INTO tokens(token, user_name) VALUES(@t, @u) ON CONFLICT(token) DO UPDATE SET user_name=excluded.user_name",
            Text("t", token), Text("u", user));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<RepoRole?> GetRoleAsync(string user, string repo, CancellationToken ct)
    {
        await using var cmd = Cmd("SELECT role FROM roles WHERE user_name=@u AND repo=@r", Text("u", user), Text("r", repo));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is int v ? (RepoRole)v : null;
    }

    public async Task SetRoleAsync(string user, string repo, RepoRole? role, CancellationToken ct)
    {
        await using var cmd = role is { } r
            ? Cmd("INSERT INTO roles(user_name, repo, role) VALUES(@u, @r, @v) ON CONFLICT(user_name, repo) DO UPDATE SET role=excluded.role",
                Text("u", user), Text("r", repo), Int("v", (int)r))
            : Cmd("DELETE FROM roles WHERE user_name=@u AND repo=@r", Text("u", user), Text("r", repo));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<string> EnsureRootTokenAsync(string candidate, CancellationToken ct)
    {
        // Separate statements on purpose: a second node's INSERT waits for the first node's row and
        // then does nothing; only a statement started after that (a fresh READ COMMITTED snapshot)
        // sees the winner's token. A single statement with a CTE would read its old snapshot.
        await using var batch = _ds.CreateBatch();
        Add(batch, "INSERT INTO settings(key, value) VALUES('root_token', @t) ON CONFLICT DO NOTHING", Text("t", candidate));
        Add(batch, "INSERT INTO users(name, admin) VALUES('root', true) ON CONFLICT(name) DO UPDATE SET admin=true");
        Add(batch, """
            INSERT INTO tokens(token, user_name) SELECT value, 'root' FROM settings WHERE key='root_token'
            ON CONFLICT(token) DO UPDATE SET user_name='root' RETURNING token
            """);
        // The batch is one implicit transaction; the only rows it returns are the RETURNING's.
        await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
        do
        {
            if (r.FieldCount > 0 && await r.ReadAsync(ct).ConfigureAwait(false)) return r.GetString(0);
        } while (await r.NextResultAsync(ct).ConfigureAwait(false));
        throw new InvalidOperationException("PostgreSQL: the root token was not stored");
    }
}
