using Spectre.Console;

namespace Strata.Cli;

/// <summary>Where the CLI writes: tables and progress to Out, raw JSON to Json, errors to Error (swappable in tests).</summary>
public sealed record CliConsole(IAnsiConsole Out, TextWriter Json, TextWriter Error, bool Interactive)
{
    public static CliConsole Standard() => new(AnsiConsole.Console, Console.Out, Console.Error, !Console.IsOutputRedirected);

    public static CliConsole ToWriter(TextWriter writer) => new(
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No }),
        writer, writer, false);
}
