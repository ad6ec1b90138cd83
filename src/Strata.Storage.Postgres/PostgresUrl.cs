using Npgsql;

namespace Strata.Storage.Postgres;

/// <summary>
/// Turns <c>postgres://USER[:PASS]@HOST[:PORT][/DB][?name=value...]</c> (or <c>postgresql://</c>) into an
/// Npgsql connection string; anything else is taken to be a connection string already.
/// </summary>
public static class PostgresUrl
{
    private const string Expected = "expected postgres://USER[:PASS]@HOST[:PORT]/DB";

    // libpq's URL parameter names where they differ from Npgsql's keywords, so URLs written for psql work.
    private static readonly Dictionary<string, string> LibpqNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["target_session_attrs"] = "Target Session Attributes",
        ["keepalives_idle"] = "Keepalive",
        ["krbsrvname"] = "Kerberos Service Name",
    };

    public static bool IsUrl(string s) =>
        s.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <exception cref="ArgumentException">The URL or connection string does not parse (one-line message).</exception>
    public static string ToConnectionString(string urlOrConnectionString)
    {
        ArgumentNullException.ThrowIfNull(urlOrConnectionString);
        return IsUrl(urlOrConnectionString) ? FromUrl(urlOrConnectionString) : Validate(urlOrConnectionString);
    }

    private static string Validate(string cs)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(cs).ConnectionString;
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"PostgreSQL connection string does not parse: {FirstLine(e.Message)}", e);
        }
    }

    private static string FromUrl(string url)
    {
        var shown = Redact(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || string.IsNullOrEmpty(u.Host) || u.Fragment.Length > 0)
            throw new ArgumentException($"PostgreSQL URL '{shown}' does not parse; {Expected}");
        var b = new NpgsqlConnectionStringBuilder
        {
            // DnsSafeHost drops the brackets of an IPv6 literal.
            Host = u.DnsSafeHost,
            Port = u.IsDefaultPort || u.Port < 0 ? 5432 : u.Port,
        };
        if (u.UserInfo.Length > 0)
        {
            var colon = u.UserInfo.IndexOf(':');
            b.Username = Uri.UnescapeDataString(colon < 0 ? u.UserInfo : u.UserInfo[..colon]);
            if (colon >= 0) b.Password = Uri.UnescapeDataString(u.UserInfo[(colon + 1)..]);
        }
        var db = Uri.UnescapeDataString(u.AbsolutePath.TrimStart('/'));
        if (db.Contains('/'))
            throw new ArgumentException($"PostgreSQL URL '{shown}' has a path that is not a database name; {Expected}");
        if (db.Length > 0) b.Database = db;
        foreach (var pair in u.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            // Percent-decoding only, as libpq does: '+' stays a plus (it may be part of a password).
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                b[LibpqNames.GetValueOrDefault(name, name)] = value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                throw new ArgumentException($"PostgreSQL URL '{shown}' has a parameter that is not a valid Npgsql setting: {name}={value}", e);
            }
        }
        return b.ConnectionString;
    }

    /// <summary>The URL with its password replaced by ***, for messages.</summary>
    public static string Redact(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var at = url.LastIndexOf('@');
        if (scheme < 0 || at < scheme) return url;
        var colon = url.IndexOf(':', scheme + 3);
        return colon < 0 || colon > at ? url : url[..(colon + 1)] + "***" + url[at..];
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
