using Strata.Core.Storage;

namespace Strata.Storage.S3;

/// <summary>
/// Where chunks live in an S3-compatible store, parsed from
/// <c>s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&amp;region=R&amp;path-style=true</c>.
/// Without an endpoint it is AWS S3 in the region; with one, path-style addressing is the default
/// (most self-hosted stores, and bucket names with dots, need it).
/// </summary>
public sealed record S3ChunkStoreOptions(string Bucket, string Prefix, string? Endpoint, string Region, bool PathStyle,
    string AccessKey, string SecretKey, int MaxConcurrency = 32)
{
    public static S3ChunkStoreOptions Parse(string url, string? accessKey, string? secretKey)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme != "s3" || string.IsNullOrEmpty(u.Host))
            throw new StorageConfigurationException($"chunk store URL '{url}' does not parse; expected s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=R");
        string? endpoint = null;
        var region = "us-east-1";
        bool? pathStyle = null;
        var concurrency = 32;
        foreach (var pair in u.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (name)
            {
                case "endpoint":
                    if (!Uri.TryCreate(value, UriKind.Absolute, out var e) || (e.Scheme != "http" && e.Scheme != "https"))
                        throw new StorageConfigurationException($"chunk store endpoint '{value}' is not an http:// or https:// URL");
                    endpoint = value;
                    break;
                case "region": region = value; break;
                case "path-style" or "force-path-style":
                    pathStyle = value is "" or "true" or "1" ? true : value is "false" or "0" ? false
                        : throw new StorageConfigurationException($"chunk store path-style '{value}' is not true or false");
                    break;
                case "concurrency":
                    if (!int.TryParse(value, out concurrency) || concurrency < 1)
                        throw new StorageConfigurationException($"chunk store concurrency '{value}' is not a positive number");
                    break;
                default: throw new StorageConfigurationException($"chunk store URL has an unknown parameter '{name}' (known: endpoint, region, path-style, concurrency)");
            }
        }
        var prefix = Uri.UnescapeDataString(u.AbsolutePath).Trim('/');
        if (prefix.Length > 0) prefix += "/";
        if (string.IsNullOrEmpty(accessKey) || string.IsNullOrEmpty(secretKey))
            throw new StorageConfigurationException("chunk store credentials are missing: set STRATA_CHUNKS_ACCESS_KEY and STRATA_CHUNKS_SECRET_KEY (or --chunks-access-key / --chunks-secret-key)");
        return new S3ChunkStoreOptions(u.Host, prefix, endpoint, region, pathStyle ?? endpoint is not null, accessKey, secretKey, concurrency);
    }

    /// <summary>The URL without credentials, for logs.</summary>
    public override string ToString() => $"s3://{Bucket}/{Prefix}" + (Endpoint is null ? $" (AWS {Region})" : $" at {Endpoint}");
}
