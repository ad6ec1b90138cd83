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
    /// The root token lives in the data directory (mode 0600) so that it survives restarts.
    /// Returns it, creating the root admin user and token on first start.
    /// </summary>
    public static async Task<string> EnsureRootAsync(IAccessStore access, string dataDir, CancellationToken ct)
    {
        var path = Path.Combine(dataDir, "root-token");
        string token;
        if (File.Exists(path))
            token = (await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)).Trim();
        else
        {
            token = New();
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
        if (await access.FindTokenAsync(token, ct).ConfigureAwait(false) is null)
        {
            await access.CreateUserAsync("root", admin: true, ct).ConfigureAwait(false);
            await access.AddTokenAsync("root", token, ct).ConfigureAwait(false);
        }
        return token;
    }
}
