using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Core;
using Strata.S3;
using Strata.Server.Telemetry;
using OpenTelemetry.Metrics;
using Microsoft.Extensions.Hosting;

namespace Strata.Server;

/// <summary>Wires the embedded backends, the store and the S3 gateway into a Kestrel host.</summary>
public sealed class StrataServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Backends _backends;

    public string DataDir { get; }
    public string Endpoint { get; private set; } = "";

    private readonly BoundPorts _ports;
    private readonly string _address;

    private StrataServer(WebApplication app, Backends backends, string dataDir, bool authEnabled, BoundPorts ports, string address)
    {
        _app = app;
        _ports = ports;
        _address = address;
        _backends = backends;
        DataDir = dataDir;
        AuthEnabled = authEnabled;
    }

    public bool AuthEnabled { get; }
    public string AdminEndpoint { get; private set; } = "";

    /// <summary>The root token (access key and secret of the admin user), kept in the data directory.</summary>
    public string RootToken { get; private set; } = "";

    /// <summary>Where metadata and chunks live, in one line.</summary>
    public string StorageDescription => _backends.Description;

    /// <summary>
    /// Opens the configured stores (throws StorageConfigurationException, one line, when one cannot
    /// be used) and builds the host. Nothing here is node-local but the data directory's embedded
    /// stores, so any number of servers may share one PostgreSQL and one chunk store.
    /// </summary>
    public static async Task<StrataServer> CreateAsync(ServerOptions o, CancellationToken ct = default)
    {
        var dataDir = Path.GetFullPath(o.DataDir);
        Directory.CreateDirectory(dataDir);
        var backends = await Backends.OpenAsync(o, dataDir, ct).ConfigureAwait(false);
        // The host's default configuration watches appsettings.json under the content root, which is
        // the working directory, where the data dir usually is: its file watcher is recursive, so it
        // put an inotify watch on every chunk directory and woke for every chunk and WAL write. Strata
        // reads no appsettings.json, so nothing is watched and the content root is the program's own.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        ConfigureLogging(builder.Logging, o);
        // SIGTERM: stop accepting, let requests in flight finish within the grace, then abort the rest.
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = o.ShutdownGrace);
        var ports = new BoundPorts();
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Both ports are bound by Kestrel itself (port 0 = any free one, read back after start): a
            // port picked here and bound later could be taken by another process in between.
            var ip = System.Net.IPAddress.Parse(o.Address);
            k.Listen(ip, o.Port, l => ports.S3 = l);
            k.Listen(ip, o.AdminPort, l => ports.Admin = l);
            // Bodies are streamed, so there is no reason to cap their size (S3 allows 5 GiB, Strata more).
            k.Limits.MaxRequestBodySize = null;
            // Slow clients may not hold connections: headers within a time, bodies at a minimum rate
            // (a stalled upload ends in RequestTimeout), idle connections closed.
            k.Limits.RequestHeadersTimeout = o.HeaderTimeout;
            k.Limits.KeepAliveTimeout = o.IdleTimeout;
            k.Limits.MinRequestBodyDataRate = o.MinBodyRate > 0 ? new MinDataRate(o.MinBodyRate, TimeSpan.FromSeconds(20)) : null;
            // S3's header limits are checked by the gateway, which answers them with S3 errors; Kestrel
            // keeps a margin beyond them and answers only what is far past them (431, no body).
            k.Limits.MaxRequestHeaderCount = Math.Max(1000, o.MaxHeaderCount * 4);
            k.Limits.MaxRequestHeadersTotalSize = Math.Max(64 << 10, o.MaxHeaderBytes * 4);
            k.AddServerHeader = false;
            // Clients send non-ASCII metadata as UTF-8 and read answers as Latin-1 (Python's
            // http.client); values beyond Latin-1 are answered RFC 2047-encoded, as S3 does.
            k.RequestHeaderEncodingSelector = _ => System.Text.Encoding.UTF8;
            k.ResponseHeaderEncodingSelector = _ => System.Text.Encoding.Latin1;
        });
        builder.Services.ConfigureHttpJsonOptions(j => j.SerializerOptions.WriteIndented = true);
        // A write may reuse anything touched within half the grace period; see VersionedStore.FreshenAge.
        var store = new VersionedStore(MeteredMetadataStore.Wrap(backends.Meta), new MeteredChunkStore(backends.Chunks)) { FreshenAge = o.GcGrace / 2 };
        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(new StoreMaintenance(store, o, dataDir));
        builder.Services.AddSingleton(backends.Access);
        builder.Services.AddSingleton(new S3Options
        {
            Region = o.Region, AuthEnabled = !o.NoAuth, Domains = o.Domains.ToArray(),
            MaxMetadataBytes = o.MaxMetadataBytes, MaxHeaderBytes = o.MaxHeaderBytes, MaxHeaderCount = o.MaxHeaderCount,
        });
        builder.Services.AddSingleton<S3Gateway>();
        builder.Services.AddSingleton(o);
        builder.Services.AddHostedService<UploadReaper>();
        builder.Services.AddHostedService<GcSchedule>();
        builder.Services.AddSingleton<StoreGauges>();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(StoreMetrics.MeterName, ServerMetrics.MeterName)
            .AddPrometheusExporter(p => p.ScrapeResponseCacheDurationMilliseconds = 0));
        var app = builder.Build();
        var gateway = app.Services.GetRequiredService<S3Gateway>();
        ServerMetrics.Store = app.Services.GetRequiredService<StoreGauges>();
        app.UseMiddleware<RequestTelemetry>();
        app.Use((ctx, next) => Health.InvokeAsync(ctx, () => next(ctx), store));
        // The admin API has its own port, so no bucket name can shadow it.
        app.MapWhen(ctx => ctx.Connection.LocalPort == ports.AdminPort, admin =>
        {
            var gauges = app.Services.GetRequiredService<StoreGauges>();
            admin.Use(async (ctx, next) =>
            {
                if (ctx.Request.Path == "/metrics") await gauges.RefreshAsync(ctx.RequestAborted);
                await next(ctx);
            });
            admin.UseRouting();
            admin.UseEndpoints(e =>
            {
                Admin.AdminApi.Map(e, app.Services.GetRequiredService<VersionedStore>(),
                    app.Services.GetRequiredService<Strata.Core.Auth.IAccessStore>(), app.Services.GetRequiredService<StoreMaintenance>(), !o.NoAuth);
                WebConsole.ConsoleUi.Map(e, app.Services.GetRequiredService<VersionedStore>(), app.Services.GetRequiredService<Strata.Core.Auth.IAccessStore>(), !o.NoAuth);
                // Prometheus scrapes without credentials; the metrics name operations and statuses, never buckets, keys or data.
                e.MapPrometheusScrapingEndpoint("/metrics");
            });
            admin.Run(ctx => Results.Json(new { error = "NotFound", message = "no such admin endpoint" }, statusCode: 404).ExecuteAsync(ctx));
        });
        app.Run(gateway.HandleAsync);
        return new StrataServer(app, backends, dataDir, !o.NoAuth, ports, o.Address);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, ServerOptions o)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Warning);
        if (o.Quiet) return;
        if (o.LogFormat == "json")
            logging.AddJsonConsole(c => { c.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; c.UseUtcTimestamp = true; });
        else
            logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss "; });
        if (o.AccessLog) logging.AddFilter(RequestLog.Category, LogLevel.Information);
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        RootToken = await Strata.Core.Auth.Tokens.EnsureRootAsync(_app.Services.GetRequiredService<Strata.Core.Auth.IAccessStore>(), DataDir, ct).ConfigureAwait(false);
        await _app.StartAsync(ct).ConfigureAwait(false);
        Endpoint = Url(_ports.S3Port);
        AdminEndpoint = Url(_ports.AdminPort);
    }

    private string Url(int port) => System.Net.IPAddress.Parse(_address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"http://[{_address}]:{port}" : $"http://{_address}:{port}";

    /// <summary>The two listeners; their ports are known once Kestrel has bound them.</summary>
    private sealed class BoundPorts
    {
        public ListenOptions? S3 { get; set; }
        public ListenOptions? Admin { get; set; }
        public int S3Port => S3!.IPEndPoint!.Port;
        public int AdminPort => Admin!.IPEndPoint!.Port;
    }

    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _backends.DisposeAsync().ConfigureAwait(false);
    }
}
