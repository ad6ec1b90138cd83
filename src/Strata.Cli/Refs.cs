namespace Strata.Cli;

/// <summary>
/// <c>repo@ref:/path</c> as pachctl writes it: ref is a branch, a commit id or an ancestry
/// expression (<c>master^</c>, <c>master~3</c>, <c>&lt;commit&gt;^</c>); ref and path may be optional.
/// </summary>
public sealed record FileRef(string Repo, string? Ref, string? Path)
{
    public static FileRef Parse(string text, bool needRef = true)
    {
        var at = text.IndexOf('@');
        var colon = text.IndexOf(":/", StringComparison.Ordinal);
        var repo = text[..(at >= 0 ? at : colon >= 0 ? colon : text.Length)];
        string? reference = at >= 0 ? text[(at + 1)..(colon >= 0 ? colon : text.Length)] : null;
        string? path = colon >= 0 ? text[(colon + 2)..] : null;
        if (repo.Length == 0 || (needRef && string.IsNullOrEmpty(reference)))
            throw new CliException($"'{text}' is not repo@ref[:/path]");
        return new FileRef(repo, reference, path);
    }
}

/// <summary>An error to print without a stack trace; exit code 1.</summary>
public sealed class CliException(string message) : Exception(message);
