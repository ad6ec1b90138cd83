using System.Text;
using Microsoft.Data.Sqlite;
using Strata.Core.Auth;
using Strata.Storage.Postgres;
using Strata.Storage.Sqlite;

namespace Strata.Storage.Tests;

/// <summary>Stores of earlier versions kept tokens in plaintext: an upgrade hashes them and they keep working.</summary>
public sealed class AccessMigrationTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private const string Alice = "0123456789abcdef0123456789abcdef01234567";
    private const string Root = "fedcba9876543210fedcba9876543210fedcba98";

    [Fact]
    public async Task ASqliteStoreWithPlaintextTokensIsMigratedToHashes()
    {
        var dir = Directory.CreateTempSubdirectory("strata-migrate-").FullName;
        var path = Path.Combine(dir, "metadata.db");
        try
        {
            // The access tables as the first release made them, with its plaintext rows.
            using (var c = new SqliteConnection($"Data Source={path}"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = $"""
                    PRAGMA journal_mode=WAL;
                    CREATE TABLE users(name TEXT PRIMARY KEY, admin INTEGER NOT NULL);
                    CREATE TABLE tokens(token TEXT PRIMARY KEY, user TEXT NOT NULL);
                    CREATE TABLE roles(user TEXT NOT NULL, repo TEXT NOT NULL, role INTEGER NOT NULL, PRIMARY KEY(user, repo));
                    CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    INSERT INTO users VALUES('root', 1), ('alice', 0);
                    INSERT INTO tokens VALUES('{Root}', 'root'), ('{Alice}', 'alice');
                    INSERT INTO roles VALUES('alice', 'images', 2);
                    INSERT INTO settings VALUES('root_token', '{Root}');
                    """;
                cmd.ExecuteNonQuery();
            }
            SqliteConnection.ClearAllPools();
            var store = new SqliteMetadataStore(path);
            Assert.Equal(("alice", false), ((await store.FindTokenAsync(Alice, Ct))!.User, false));
            Assert.Equal(RepoRole.Writer, await store.GetRoleAsync("alice", "images", Ct));
            Assert.True(await store.EnsureRootTokenAsync(Root, Ct));
            Assert.True((await store.FindTokenAsync(Root, Ct))!.IsAdmin);
            // Opening again changes nothing.
            SqliteConnection.ClearAllPools();
            store = new SqliteMetadataStore(path);
            Assert.NotNull(await store.FindTokenAsync(Alice, Ct));
            SqliteConnection.ClearAllPools();
            foreach (var f in Directory.GetFiles(dir))
            {
                var bytes = await File.ReadAllBytesAsync(f);
                foreach (var secret in new[] { Alice, Root })
                    Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(secret)) < 0, $"{Path.GetFileName(f)} still holds a plaintext token");
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task APostgresDatabaseWithPlaintextTokensIsMigratedToHashes()
    {
        await using var db = await PostgresTestDatabase.CreateAsync();
        // Version 3 as an older Strata left it, with plaintext tokens.
        await PostgresTestDatabase.ExecAsync(db.ConnectionString, string.Join(";\n", PostgresSchema.Migrations.Take(3)) + $"""
            ;
            CREATE TABLE strata_schema(version int PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now());
            INSERT INTO strata_schema(version) VALUES(1), (2), (3);
            INSERT INTO users VALUES('root', true), ('alice', false);
            INSERT INTO tokens VALUES('{Root}', 'root'), ('{Alice}', 'alice');
            INSERT INTO roles VALUES('alice', 'images', 2);
            INSERT INTO settings VALUES('root_token', '{Root}');
            """);
        await using var s = await PostgresMetadataStore.OpenAsync(db.ConnectionString, Ct);
        Assert.Equal(PostgresSchema.Latest, await PostgresTestDatabase.ScalarAsync(db.ConnectionString, "SELECT max(version) FROM strata_schema"));
        Assert.Equal("alice", (await s.FindTokenAsync(Alice, Ct))!.User);
        Assert.Equal(RepoRole.Writer, await s.GetRoleAsync("alice", "images", Ct));
        Assert.True(await s.EnsureRootTokenAsync(Root, Ct));
        Assert.True((await s.FindTokenAsync(Root, Ct))!.IsAdmin);
        Assert.Equal(16, Assert.Single(await s.ListTokensAsync("alice", Ct)).Id.Length);
        var text = (string)(await PostgresTestDatabase.ScalarAsync(db.ConnectionString,
            "SELECT string_agg(hash, ' ') || (SELECT string_agg(key || value, ' ') FROM settings) FROM access_tokens"))!;
        Assert.DoesNotContain(Alice, text);
        Assert.DoesNotContain(Root, text);
        Assert.Contains(Tokens.Hash(Alice), text);
    }
}
