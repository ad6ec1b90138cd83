using Microsoft.Data.Sqlite;
using Strata.Core.Auth;
using Strata.Core.Storage;
using Strata.Storage.Sqlite;

namespace Strata.Storage.Tests;

/// <summary>The metadata contract on SQLite: a fresh database file per test.</summary>
public sealed class SqliteMetadataStoreTests : MetadataStoreContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-meta-").FullName;
    private readonly SqliteMetadataStore _store;

    public SqliteMetadataStoreTests() => _store = new SqliteMetadataStore(Path.Combine(_dir, "metadata.db"));

    protected override IMetadataStore Store => _store;
    protected override IAccessStore Access => _store;
    protected override Task<IMetadataStore> OpenSecondAsync() => Task.FromResult<IMetadataStore>(new SqliteMetadataStore(Path.Combine(_dir, "metadata.db")));

    protected override Task<string> RawAccessTextAsync()
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(_dir, "metadata.db")}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT group_concat(x, ' ') FROM (
                SELECT id || ' ' || hash || ' ' || user AS x FROM access_tokens UNION ALL SELECT name FROM users
                UNION ALL SELECT user || ' ' || repo FROM roles UNION ALL SELECT key || ' ' || value FROM settings
                UNION ALL SELECT actor || ' ' || action || ' ' || target || ' ' || detail FROM audit)
            """;
        return Task.FromResult(cmd.ExecuteScalar() as string ?? "");
    }

    [Fact]
    public async Task ADatabaseWithTagsFromBeforeTheTagMarkerIsMarkedWhenOpened()
    {
        var path = Path.Combine(_dir, "metadata.db");
        using (var c = new SqliteConnection($"Data Source={path}"))
        {
            // Version 2 as an older Strata left it: tags, no marker.
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                DROP TRIGGER object_tags_mark_insert; DROP TRIGGER object_tags_mark_update; DROP TABLE tagged_repos;
                INSERT INTO object_tags(repo, key, commit_id, tags) VALUES('r', 'k', 'c', 'a=1');
                PRAGMA user_version=2;
                """;
            cmd.ExecuteNonQuery();
        }
        using var reopened = new SqliteMetadataStore(path);
        Assert.True(await reopened.CreateBranchAsync("r", "master", null, T0, Ct));
        Assert.True(await reopened.CreateBranchAsync("r2", "master", null, T0, Ct));
        Assert.True((await reopened.GetBranchAsync("r", "master", Ct))!.MayHaveObjectTags);
        Assert.False((await reopened.GetBranchAsync("r2", "master", Ct))!.MayHaveObjectTags);
        await reopened.SetObjectTagsAsync("r2", "k", "c", [new("b", "2")], Ct);
        Assert.True((await reopened.GetBranchAsync("r2", "master", Ct))!.MayHaveObjectTags);
    }

    public void Dispose()
    {
        // Pooled connections keep the file open; close them before removing it.
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
