namespace Strata.Server;

/// <summary>Server settings: flags override environment variables, which override the defaults.</summary>
public sealed class ServerOptions
{
    public string DataDir { get; set; } = Environment.GetEnvironmentVariable("STRATA_DATA_DIR") ?? "./strata-data";
    public string Address { get; set; } = Environment.GetEnvironmentVariable("STRATA_ADDRESS") ?? "127.0.0.1";
    public int Port { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("STRATA_PORT"), out var p) ? p : 30600;
    /// <summary>Port of the admin API (JSON over HTTP); 0 picks a free one.</summary>
    public int AdminPort { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("STRATA_ADMIN_PORT"), out var ap) ? ap : 30601;
    public string Region { get; set; } = Environment.GetEnvironmentVariable("STRATA_REGION") ?? "us-east-1";
    /// <summary>Domains for virtual-hosted-style requests (Host bucket.domain); empty: path-style only.</summary>
    public List<string> Domains { get; set; } = SplitDomains(Environment.GetEnvironmentVariable("STRATA_DOMAIN"));

    /// <summary>A comma-separated list of domains, without ports or surrounding dots.</summary>
    public static List<string> SplitDomains(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => d.Trim('.'))
            .Select(d => d.Contains(':') || d.Contains('/') || d.Length == 0
                ? throw new ArgumentException($"--domain takes a host name such as s3.example (no port, scheme or path), not '{d}'")
                : d.ToLowerInvariant())
            .ToList();
    public bool Quiet { get; set; }
    /// <summary>Serve unsigned requests (a local sandbox).</summary>
    public bool NoAuth { get; set; } = Environment.GetEnvironmentVariable("STRATA_AUTH") is "off" or "false" or "0";
    /// <summary>Multipart uploads older than this are aborted.</summary>
    public TimeSpan UploadMaxAge { get; set; } = TimeSpan.FromHours(
        double.TryParse(Environment.GetEnvironmentVariable("STRATA_UPLOAD_MAX_AGE_HOURS"), System.Globalization.CultureInfo.InvariantCulture, out var h) ? h : 7 * 24);

    /// <summary>Metadata store: empty for SQLite in the data dir, a postgres:// URL, or sqlite:PATH.</summary>
    public string? Metadata { get; set; } = Environment.GetEnvironmentVariable("STRATA_METADATA");
    /// <summary>Chunk store: empty for files in the data dir, an s3:// URL, or file:PATH (e.g. a shared disk).</summary>
    public string? Chunks { get; set; } = Environment.GetEnvironmentVariable("STRATA_CHUNKS");
    public string? ChunksAccessKey { get; set; } = Environment.GetEnvironmentVariable("STRATA_CHUNKS_ACCESS_KEY");
    public string? ChunksSecretKey { get; set; } = Environment.GetEnvironmentVariable("STRATA_CHUNKS_SECRET_KEY");

    /// <summary>
    /// What a garbage collection keeps however unreachable: anything touched within this time. Also
    /// bounds writes: one running longer than half of it while a collection starts is refused (and retried by clients).
    /// </summary>
    public TimeSpan GcGrace { get; set; } = Duration(Environment.GetEnvironmentVariable("STRATA_GC_GRACE")) ?? TimeSpan.FromHours(1);
    /// <summary>Run a garbage collection this often (null: only when asked).</summary>
    public TimeSpan? GcInterval { get; set; } = Duration(Environment.GetEnvironmentVariable("STRATA_GC_INTERVAL")) is { } i && i > TimeSpan.Zero ? i : null;

    /// <summary>On SIGTERM, how long requests in flight may take to finish before they are cut.</summary>
    public TimeSpan ShutdownGrace { get; set; } = Duration(Environment.GetEnvironmentVariable("STRATA_SHUTDOWN_GRACE")) ?? TimeSpan.FromSeconds(30);
    /// <summary>Log lines as text (one line each) or JSON objects.</summary>
    public string LogFormat { get; set; } = Environment.GetEnvironmentVariable("STRATA_LOG_FORMAT") ?? "text";
    /// <summary>One log line per request (request id, operation, bucket, key, status, bytes, duration).</summary>
    public bool AccessLog { get; set; } = Environment.GetEnvironmentVariable("STRATA_ACCESS_LOG") is not ("off" or "false" or "0");

    /// <summary>A client must send its request headers within this time.</summary>
    public TimeSpan HeaderTimeout { get; set; } = Duration(Environment.GetEnvironmentVariable("STRATA_HEADER_TIMEOUT")) ?? TimeSpan.FromSeconds(20);
    /// <summary>A connection with no request for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = Duration(Environment.GetEnvironmentVariable("STRATA_IDLE_TIMEOUT")) ?? TimeSpan.FromSeconds(120);
    /// <summary>Bytes per second a request body must average (after a 20 s grace) while the server reads it; 0 turns the check off.</summary>
    public int MinBodyRate { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("STRATA_MIN_BODY_RATE"), out var r) ? r : 1024;
    public int MaxMetadataBytes { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("STRATA_MAX_METADATA_BYTES"), out var m) ? m : 2048;
    public int MaxHeaderBytes { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("STRATA_MAX_HEADER_BYTES"), out var hb) ? hb : 8192;
    public int MaxHeaderCount { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("STRATA_MAX_HEADERS"), out var hc) ? hc : 100;

    /// <summary>A duration as 90s, 30m, 1h, 7d or plain seconds; "off" is zero. Null for empty or unparsable text.</summary>
    public static TimeSpan? Duration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (text is "off" or "never") return TimeSpan.Zero;
        var unit = char.IsAsciiLetter(text[^1]) ? text[^1] : 's';
        var number = char.IsAsciiLetter(text[^1]) ? text[..^1] : text;
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 0) return null;
        return unit switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => null,
        };
    }

    private static int Count(string flag, string text, int min) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= min
            ? n : throw new ArgumentException($"{flag} takes a whole number of at least {min}, not '{text}'");

    private static TimeSpan RequireDuration(string flag, string text) =>
        Duration(text) ?? throw new ArgumentException($"{flag} takes a duration such as 90s, 30m, 1h or 7d, not '{text}'");

    public const string Usage = """
        usage: strata serve [flags]          (flag, environment twin, default)
          --data-dir DIR            STRATA_DATA_DIR              ./strata-data (embedded stores, root-token copy)
          --address ADDR            STRATA_ADDRESS               127.0.0.1
          --port N                  STRATA_PORT                  30600 (S3 gateway)
          --admin-port N            STRATA_ADMIN_PORT            30601 (admin API; 0 picks a free port)
          --region R                STRATA_REGION                us-east-1
          --domain D[,D...]         STRATA_DOMAIN                none (repeatable: Host bucket.D is virtual-hosted style for bucket; Host D is path-style)
          --metadata URL            STRATA_METADATA              SQLite in the data dir; or postgres://USER[:PASS]@HOST:PORT/DB
          --chunks URL              STRATA_CHUNKS                files in the data dir; or s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=R
                                                                 (also path-style=false, concurrency=N); or file:/shared/dir
          --chunks-access-key KEY   STRATA_CHUNKS_ACCESS_KEY     credentials of an s3:// chunk store
          --chunks-secret-key KEY   STRATA_CHUNKS_SECRET_KEY     (prefer the environment: flags show in ps)
          --upload-max-age-hours H  STRATA_UPLOAD_MAX_AGE_HOURS  168 (older multipart uploads are aborted)
          --gc-interval D           STRATA_GC_INTERVAL           off (e.g. 6h: collect garbage that often; one node at a time)
          --gc-grace D              STRATA_GC_GRACE              1h (GC keeps anything touched this recently; give every node the same)
          --shutdown-grace D        STRATA_SHUTDOWN_GRACE        30s (on SIGTERM, requests in flight get this long to finish)
          --log-format F            STRATA_LOG_FORMAT            text (or json: one JSON object per line)
          --access-log on|off       STRATA_ACCESS_LOG            on (a line per request: id, operation, bucket, key, status, bytes, time)
          --header-timeout D        STRATA_HEADER_TIMEOUT        20s (a request's headers must arrive within this)
          --idle-timeout D          STRATA_IDLE_TIMEOUT          120s (an idle kept-alive connection is closed)
          --min-body-rate N         STRATA_MIN_BODY_RATE         1024 bytes/s a body must average after 20 s (0: no check)
          --max-metadata-bytes N    STRATA_MAX_METADATA_BYTES    2048 (user metadata per object, as S3)
          --max-header-bytes N      STRATA_MAX_HEADER_BYTES      8192 (all request headers, as S3)
          --max-headers N           STRATA_MAX_HEADERS           100 (request headers per request)
          --no-auth                 STRATA_AUTH=off              serve unsigned requests (a local sandbox)
          --quiet                                                no log at all
        Unauthenticated on both ports: /healthz (process up), /readyz (metadata and chunk stores reachable).
        On the admin port: /metrics (Prometheus), /api (admin API).
        Several nodes may share one PostgreSQL and one chunk store: give each the same --metadata and --chunks.
        """;

    public static ServerOptions Parse(string[] args)
    {
        var o = new ServerOptions();
        var domainFlag = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "serve": break;
                case "--data-dir": o.DataDir = Next(); break;
                case "--address": o.Address = Next(); break;
                case "--port": o.Port = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--region": o.Region = Next(); break;
                case "--domain":
                    // Repeatable, each a comma-separated list; the first flag replaces the environment's list.
                    if (!domainFlag) o.Domains.Clear();
                    domainFlag = true;
                    o.Domains.AddRange(SplitDomains(Next()));
                    break;
                case "--admin-port": o.AdminPort = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--quiet": o.Quiet = true; break;
                case "--no-auth": o.NoAuth = true; break;
                case "--metadata": o.Metadata = Next(); break;
                case "--chunks": o.Chunks = Next(); break;
                case "--chunks-access-key": o.ChunksAccessKey = Next(); break;
                case "--chunks-secret-key": o.ChunksSecretKey = Next(); break;
                case "--upload-max-age-hours": o.UploadMaxAge = TimeSpan.FromHours(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture)); break;
                case "--shutdown-grace": o.ShutdownGrace = RequireDuration("--shutdown-grace", Next()); break;
                case "--log-format":
                    o.LogFormat = Next() switch { "json" => "json", "text" => "text", var v => throw new ArgumentException($"--log-format takes text or json, not '{v}'") };
                    break;
                case "--access-log":
                    o.AccessLog = Next() switch { "on" or "true" => true, "off" or "false" => false, var v => throw new ArgumentException($"--access-log takes on or off, not '{v}'") };
                    break;
                case "--header-timeout": o.HeaderTimeout = RequireDuration("--header-timeout", Next()); break;
                case "--idle-timeout": o.IdleTimeout = RequireDuration("--idle-timeout", Next()); break;
                case "--min-body-rate": o.MinBodyRate = Count("--min-body-rate", Next(), 0); break;
                case "--max-metadata-bytes": o.MaxMetadataBytes = Count("--max-metadata-bytes", Next(), 1); break;
                case "--max-header-bytes": o.MaxHeaderBytes = Count("--max-header-bytes", Next(), 1024); break;
                case "--max-headers": o.MaxHeaderCount = Count("--max-headers", Next(), 10); break;
                case "--gc-grace": o.GcGrace = RequireDuration("--gc-grace", Next()); break;
                case "--gc-interval":
                    var every = RequireDuration("--gc-interval", Next());
                    o.GcInterval = every > TimeSpan.Zero ? every : null;
                    break;
                case "-h" or "--help": throw new ArgumentException(Usage);
                default: throw new ArgumentException($"unknown argument {args[i]} (try --help)");
            }
        }
        return o;
    }
}
