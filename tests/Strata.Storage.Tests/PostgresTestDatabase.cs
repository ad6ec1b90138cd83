using Npgsql;

namespace Strata.Storage.Tests;

/// <summary>
/// A new, empty database on the test server (STRATA_TEST_POSTGRES, an Npgsql connection string
/// of a user allowed to CREATE DATABASE), dropped again on dispose.
/// </summary>
internal sealed class PostgresTestDatabase : IAsyncDisposable
{
    public required string Name { get; init; }
    public required string ConnectionString { get; init; }

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("STRATA_TEST_POSTGRES") is { Length: > 0 } cs ? cs
            : throw new InvalidOperationException("STRATA_TEST_POSTGRES is not set: run ./test.sh, which starts PostgreSQL, or set STRATA_TEST_POSTGRES to an Npgsql connection string of a user who may create databases, e.g. Host=127.0.0.1;Port=54329;Username=postgres;Database=postgres");

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var admin = AdminConnectionString;
        // A Guid, so safe to splice in: DDL cannot take the name as a parameter.
        var name = $"strata_t_{Guid.NewGuid():N}";
        await ExecAsync(admin, $"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'");
        return new PostgresTestDatabase { Name = name, ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString };
    }

    public async ValueTask DisposeAsync() => await ExecAsync(AdminConnectionString, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");

    public static async Task ExecAsync(string cs, string sql)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task<object?> ScalarAsync(string cs, string sql)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return await cmd.ExecuteScalarAsync();
    }
}
