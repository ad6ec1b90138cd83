namespace Strata.Server.WebConsole;

/// <summary>
/// Myers' O((N+M)·D) line diff. It gives up (null) past <c>maxEdits</c> edits so that a page
/// never spends long on two unrelated files; memory is O(D²) for the trace.
/// </summary>
internal static class LineDiff
{
    public enum Op { Same, Add, Del }

    public readonly record struct Line(Op Op, string Text, int OldNo, int NewNo);

    public static List<Line>? Diff(string[] a, string[] b, int maxEdits = 1000)
    {
        // Lines as ints: the inner loop compares numbers, not strings.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var x0 = a.Select(s => Id(ids, s)).ToArray();
        var y0 = b.Select(s => Id(ids, s)).ToArray();
        int n = x0.Length, m = y0.Length;
        var max = Math.Min(n + m, maxEdits);
        var off = max + 1;
        var v = new int[2 * max + 3];
        var trace = new List<int[]>();
        for (var d = 0; d <= max; d++)
        {
            for (var k = -d; k <= d; k += 2)
            {
                var x = k == -d || (k != d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && x0[x] == y0[y]) { x++; y++; }
                v[off + k] = x;
                if (x >= n && y >= m)
                {
                    trace.Add(v[(off - d)..(off + d + 1)]);
                    return Backtrack(trace, a, b);
                }
            }
            trace.Add(v[(off - d)..(off + d + 1)]);
        }
        return null;
    }

    private static int Id(Dictionary<string, int> ids, string s)
    {
        if (!ids.TryGetValue(s, out var id)) ids[s] = id = ids.Count;
        return id;
    }

    private static List<Line> Backtrack(List<int[]> trace, string[] a, string[] b)
    {
        var edits = new List<Line>();
        int x = a.Length, y = b.Length;
        for (var d = trace.Count - 1; d > 0; d--)
        {
            var prev = trace[d - 1]; // covers k in [-(d-1), d-1]
            int At(int k) => prev[k + d - 1];
            var k0 = x - y;
            var pk = k0 == -d || (k0 != d && At(k0 - 1) < At(k0 + 1)) ? k0 + 1 : k0 - 1;
            var px = At(pk);
            var py = px - pk;
            var midX = pk == k0 + 1 ? px : px + 1;
            while (x > midX) { x--; y--; edits.Add(new Line(Op.Same, a[x], x + 1, y + 1)); }
            if (pk == k0 + 1) edits.Add(new Line(Op.Add, b[py], 0, py + 1));
            else edits.Add(new Line(Op.Del, a[px], px + 1, 0));
            x = px;
            y = py;
        }
        while (x > 0 && y > 0) { x--; y--; edits.Add(new Line(Op.Same, a[x], x + 1, y + 1)); }
        edits.Reverse();
        return edits;
    }

    public static string[] Lines(string text)
    {
        if (text.Length == 0) return [];
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }
}
