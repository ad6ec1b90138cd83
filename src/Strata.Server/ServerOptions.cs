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
    public bool Quiet { get; set; }
    /// <summary>Serve unsigned requests (a local sandbox).</summary>
    public bool NoAuth { get; set; } = Environment.GetEnvironmentVariable("STRATA_AUTH") is "off" or "false" or "0";
    /// <summary>Multipart uploads older than this are aborted.</summary>
    public TimeSpan UploadMaxAge { get; set; } = TimeSpan.FromHours(
        double.TryParse(Environment.GetEnvironmentVariable("STRATA_UPLOAD_MAX_AGE_HOURS"), System.Globalization.CultureInfo.InvariantCulture, out var h) ? h : 7 * 24);

    public static ServerOptions Parse(string[] args)
    {
        var o = new ServerOptions();
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
                case "--admin-port": o.AdminPort = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--quiet": o.Quiet = true; break;
                case "--no-auth": o.NoAuth = true; break;
                case "--upload-max-age-hours": o.UploadMaxAge = TimeSpan.FromHours(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture)); break;
                case "-h" or "--help":
                    throw new ArgumentException("usage: strata [serve] [--data-dir DIR] [--address ADDR] [--port N] [--admin-port N] [--region R] [--upload-max-age-hours H] [--no-auth] [--quiet]\n" +
                        "environment: STRATA_DATA_DIR, STRATA_ADDRESS, STRATA_PORT, STRATA_ADMIN_PORT, STRATA_REGION, STRATA_UPLOAD_MAX_AGE_HOURS, STRATA_AUTH=off");
                default: throw new ArgumentException($"unknown argument {args[i]} (try --help)");
            }
        }
        return o;
    }
}
