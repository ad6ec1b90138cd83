using System.Security.Cryptography;
using System.Text;

namespace Strata.Core.Auth;

/// <summary>
/// Tokens are both the S3 access key and the secret. 40 hex characters: no '/' or '+', so they
/// survive credential scopes and URLs unescaped. Stores keep only <see cref="Hash"/> of a token:
/// every way a token is presented (SigV4 and SigV2 access key, Bearer) hands the server the token
/// itself, so the server hashes what it receives to find the row and then uses the received token
/// as the HMAC secret; nothing needs the stored value to be reversible.
/// </summary>
public static class Tokens
{
    /// <summary>How often at most a token's last use is written (per token): one write a minute, not one per request.</summary>
    public static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>A token row's public id: random, so it says nothing about the token.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// SHA-256 of the token, hex. Unsalted on purpose: tokens are 160 random bits, so there is no
    /// dictionary to precompute, and an unsalted hash is what lets a lookup be one indexed equality.
    /// </summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Constant-time comparison of two secrets (or their hashes).</summary>
    public static bool SameSecret(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>Notes a use of the principal's token, at most once per <see cref="LastUseResolution"/>, so most requests write nothing.</summary>
    public static Task NoteUseAsync(IAccessStore access, Principal p, DateTimeOffset now, CancellationToken ct) =>
        p.TokenId.Length == 0 || now.ToUnixTimeMilliseconds() - p.LastUsedUnixMs < LastUseResolution.TotalMilliseconds
            ? Task.CompletedTask
            : access.TouchTokenAsync(p.TokenId, now, LastUseResolution, ct);

    /// <summary>
    /// The root token's hash lives in the metadata store; the token itself only in the data directory
    /// (mode 0600) of the node that created or rotated it, for the CLI. A token already in that file
    /// becomes the root token if the store has none yet (an existing installation, or a second node
    /// given the same file). Returns the root token, or "" when this node does not know it (another
    /// node created or rotated it; its file here, if any, is left as it is).
    /// </summary>
    public static async Task<string> EnsureRootAsync(IAccessStore access, string dataDir, CancellationToken ct)
    {
        var path = Path.Combine(dataDir, "root-token");
        var existing = File.Exists(path) ? (await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)).Trim() : null;
        var candidate = string.IsNullOrEmpty(existing) ? New() : existing;
        if (!await access.EnsureRootTokenAsync(candidate, ct).ConfigureAwait(false)) return "";
        if (candidate != existing) await WriteSecretAsync(path, candidate, ct).ConfigureAwait(false);
        return candidate;
    }

    /// <summary>Makes a new root token, replacing the old one in the store (so on every node at once) and in this node's data directory.</summary>
    public static async Task<string> RotateRootAsync(IAccessStore access, string dataDir, CancellationToken ct)
    {
        var token = New();
        await access.RotateRootTokenAsync(token, ct).ConfigureAwait(false);
        await WriteSecretAsync(Path.Combine(dataDir, "root-token"), token, ct).ConfigureAwait(false);
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
