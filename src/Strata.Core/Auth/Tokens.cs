using System.Security.Cryptography;

namespace Strata.Core.Auth;

/// <summary>
/// Tokens are both the S3 access key and the secret. 40 hex characters: no '/' or '+', so they
/// survive credential scopes and URLs unescaped.
/// </summary>
public static class Tokens
{
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>
    /// The root token lives in the metadata store, so every node sharing it accepts the same one;
    /// a copy is kept in the data directory (mode 0600) for the CLI. A token already in that file
    /// (an existing installation) becomes the store's root token if the store has none yet.
    /// Returns the root token, creating the root admin user and token on first start.
    /// </summary>
    public static async Task<string> EnsureRootAsync(IAccessStore access, string dataDir, CancellationToken ct)
    {
        var path = Path.Combine(dataDir, "root-token");
        var existing = File.Exists(path) ? (await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)).Trim() : null;
        var token = await access.EnsureRootTokenAsync(string.IsNullOrEmpty(existing) ? New() : existing, ct).ConfigureAwait(false);
        if (token != existing) await WriteSecretAsync(path, token, ct).ConfigureAwait(false);
        return token;
    }

    private static async Task WriteSecretAsync(string path, string token, CancellationToken ct)
    {
        var tmp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var fs = new FileStream(tmp, options))
        await using (var w = new StreamWriter(fs))
        {
            await w.WriteLineAsync(token.AsMemory(), ct).ConfigureAwait(false);
            await w.FlushAsync(ct).ConfigureAwait(false);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
