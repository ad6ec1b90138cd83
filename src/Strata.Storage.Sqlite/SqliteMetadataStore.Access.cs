using Microsoft.Data.Sqlite;
using Strata.Core.Auth;

namespace Strata.Storage.Sqlite;

// Users, token hashes, roles, the root token's hash, and the audit log.
public sealed partial class SqliteMetadataStore
{
    private const string RootHash = "(SELECT value FROM settings WHERE key='root_token_sha256')";

    public Task<Principal?> FindTokenAsync(string token, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT u.name, u.admin, t.id, t.last_used FROM access_tokens t JOIN users u ON u.name = t.user WHERE t.hash=$h",
            ("$h", Tokens.Hash(token)));
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read()
            ? new Principal(r.GetString(0), r.GetInt64(1) != 0, token) { TokenId = r.GetString(2), LastUsedUnixMs = r.GetInt64(3) }
            : null);
    }

    public Task CreateUserAsync(string user, bool admin, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "INSERT INTO users(name, admin, created) VALUES($u, $a, $t) ON CONFLICT(name) DO UPDATE SET admin=$a",
            ("$u", user), ("$a", admin ? 1 : 0), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT name, admin, created FROM users ORDER BY name");
        using var r = cmd.ExecuteReader();
        var list = new List<UserInfo>();
        while (r.Read()) list.Add(new UserInfo(r.GetString(0), r.GetInt64(1) != 0, DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))));
        return Task.FromResult<IReadOnlyList<UserInfo>>(list);
    }

    public Task<bool> DeleteUserAsync(string user, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        Run(c, tx, "DELETE FROM access_tokens WHERE user=$u", ("$u", user));
        Run(c, tx, "DELETE FROM roles WHERE user=$u", ("$u", user));
        using var del = Cmd(c, "DELETE FROM users WHERE name=$u", ("$u", user));
        del.Transaction = tx;
        var n = del.ExecuteNonQuery();
        tx.Commit();
        return Task.FromResult(n > 0);
    }

    public Task<string> AddTokenAsync(string user, string token, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, """
            INSERT INTO access_tokens(id, hash, user, created) VALUES($i, $h, $u, $t)
            ON CONFLICT(hash) DO UPDATE SET user=excluded.user RETURNING id
            """, ("$i", Tokens.NewId()), ("$h", Tokens.Hash(token)), ("$u", user), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        return Task.FromResult((string)cmd.ExecuteScalar()!);
    }

    private const string TokenCols = $"id, user, created, last_used, hash IS {RootHash}";

    private static TokenInfo ReadToken(SqliteDataReader r) => new(r.GetString(0), r.GetString(1),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)), r.GetInt64(3) == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), r.GetInt64(4) != 0);

    public Task<IReadOnlyList<TokenInfo>> ListTokensAsync(string user, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, $"SELECT {TokenCols} FROM access_tokens WHERE user=$u ORDER BY created, id", ("$u", user));
        using var r = cmd.ExecuteReader();
        var list = new List<TokenInfo>();
        while (r.Read()) list.Add(ReadToken(r));
        return Task.FromResult<IReadOnlyList<TokenInfo>>(list);
    }

    public Task<TokenInfo?> GetTokenAsync(string id, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, $"SELECT {TokenCols} FROM access_tokens WHERE id=$i", ("$i", id));
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() ? ReadToken(r) : null);
    }

    public Task<bool> RevokeTokenAsync(string id, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, $"DELETE FROM access_tokens WHERE id=$i AND hash IS NOT {RootHash}", ("$i", id));
        return Task.FromResult(cmd.ExecuteNonQuery() > 0);
    }

    public Task TouchTokenAsync(string id, DateTimeOffset now, TimeSpan resolution, CancellationToken ct)
    {
        using var c = Open();
        var ms = now.ToUnixTimeMilliseconds();
        using var cmd = Cmd(c, "UPDATE access_tokens SET last_used=$n WHERE id=$i AND last_used <= $cut",
            ("$i", id), ("$n", ms), ("$cut", ms - (long)resolution.TotalMilliseconds));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<RepoRole?> GetRoleAsync(string user, string repo, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT role FROM roles WHERE user=$u AND repo=$r", ("$u", user), ("$r", repo));
        return Task.FromResult(cmd.ExecuteScalar() is long v ? (RepoRole?)(RepoRole)v : null);
    }

    public Task SetRoleAsync(string user, string repo, RepoRole? role, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = role is { } r
            ? Cmd(c, "INSERT OR REPLACE INTO roles(user, repo, role) VALUES($u, $r, $v)", ("$u", user), ("$r", repo), ("$v", (int)r))
            : Cmd(c, "DELETE FROM roles WHERE user=$u AND repo=$r", ("$u", user), ("$r", repo));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RoleGrant>> ListGrantsAsync(string? user, string? repo, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT user, repo, role FROM roles WHERE ($u IS NULL OR user=$u) AND ($r IS NULL OR repo=$r) ORDER BY user, repo",
            ("$u", user), ("$r", repo));
        using var r = cmd.ExecuteReader();
        var list = new List<RoleGrant>();
        while (r.Read()) list.Add(new RoleGrant(r.GetString(0), r.GetString(1), (RepoRole)r.GetInt64(2)));
        return Task.FromResult<IReadOnlyList<RoleGrant>>(list);
    }

    public Task<bool> EnsureRootTokenAsync(string candidate, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        Run(c, tx, "INSERT OR IGNORE INTO settings(key, value) VALUES('root_token_sha256', $h)", ("$h", Tokens.Hash(candidate)));
        string hash;
        using (var get = Cmd(c, "SELECT value FROM settings WHERE key='root_token_sha256'"))
        {
            get.Transaction = tx;
            hash = (string)get.ExecuteScalar()!;
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Run(c, tx, "INSERT INTO users(name, admin, created) VALUES('root', 1, $t) ON CONFLICT(name) DO UPDATE SET admin=1", ("$t", now));
        Run(c, tx, "INSERT INTO access_tokens(id, hash, user, created) VALUES($i, $h, 'root', $t) ON CONFLICT(hash) DO UPDATE SET user='root'",
            ("$i", Tokens.NewId()), ("$h", hash), ("$t", now));
        tx.Commit();
        return Task.FromResult(Tokens.SameSecret(hash, Tokens.Hash(candidate)));
    }

    public Task RotateRootTokenAsync(string newToken, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Run(c, tx, $"DELETE FROM access_tokens WHERE hash IS {RootHash}");
        Run(c, tx, "INSERT OR REPLACE INTO settings(key, value) VALUES('root_token_sha256', $h)", ("$h", Tokens.Hash(newToken)));
        Run(c, tx, "INSERT INTO users(name, admin, created) VALUES('root', 1, $t) ON CONFLICT(name) DO UPDATE SET admin=1", ("$t", now));
        Run(c, tx, "INSERT INTO access_tokens(id, hash, user, created) VALUES($i, $h, 'root', $t) ON CONFLICT(hash) DO UPDATE SET user='root'",
            ("$i", Tokens.NewId()), ("$h", Tokens.Hash(newToken)), ("$t", now));
        tx.Commit();
        return Task.CompletedTask;
    }

    public Task AppendAuditAsync(AuditEntry e, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "INSERT INTO audit(at, actor, action, target, detail) VALUES($t, $a, $x, $g, $d)",
            ("$t", e.Time.ToUnixTimeMilliseconds()), ("$a", e.Actor), ("$x", e.Action), ("$g", e.Target), ("$d", e.Detail));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AuditEntry>> ListAuditAsync(long after, int limit, CancellationToken ct)
    {
        using var c = Open();
        using var cmd = Cmd(c, "SELECT seq, at, actor, action, target, detail FROM audit WHERE seq > $s ORDER BY seq LIMIT $n", ("$s", after), ("$n", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<AuditEntry>();
        while (r.Read())
            list.Add(new AuditEntry(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)));
        return Task.FromResult<IReadOnlyList<AuditEntry>>(list);
    }
}
