namespace Strata.Core.Storage;

/// <summary>A chunk store that can leave temporary files behind (a crash mid-write): fsck lists them and --repair removes them.</summary>
public interface ILeftovers
{
    /// <summary>Leftovers older than <paramref name="age"/> (younger ones may belong to a write in progress).</summary>
    IReadOnlyList<string> ListLeftovers(TimeSpan age);
    void DeleteLeftover(string name);
}
