using Strata.Core.Auth;
using Strata.Core.Storage;
using Strata.Storage.Postgres;

namespace Strata.Storage.Tests;

/// <summary>The metadata contract on PostgreSQL: a fresh database per test (see PostgresTestDatabase).</summary>
public sealed class PostgresMetadataStoreTests : MetadataStoreContract, IAsyncLifetime
{
    private PostgresTestDatabase? _db;
    private PostgresMetadataStore? _store;

    protected override IMetadataStore Store => _store!;
    protected override IAccessStore Access => _store!;

    public async Task InitializeAsync()
    {
        _db = await PostgresTestDatabase.CreateAsync();
        _store = await PostgresMetadataStore.OpenAsync(_db.ConnectionString, Ct);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }
}
